// What enforcing grants locally (lib/local/iam) costs per AWS SDK call: the middleware's own time
// for the commands Axon's functions send most, measured on the middleware alone (the next handler
// answers at once, so no engine's latency hides or inflates it), minus the same loop without it.
import { performance } from 'node:perf_hooks';
import { localGrants } from '../../lib/local/iam/enforce.ts';
import { axon } from '../../lib/matrix/module.ts';
import type { BenchSection } from '../section.ts';

const ITERATIONS = Number(process.env.AXON_BENCH_GRANT_CHECKS ?? 20_000);

type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Middleware = (next: Handler, context: { clientName: string; commandName: string }) => Handler;

/** The middleware the plugin adds to a client's stack, without a client. */
function grantMiddleware(): { middleware: Middleware; runAs: <T>(fn: string, run: () => T) => T } {
  const grants = localGrants({ module: axon, tableName: 'axon', streamPrefix: 'axon', webSocketApiId: 'local', webSocketStage: 'local' });
  let middleware: Middleware | undefined;
  grants.plugin.applyToStack({ add: (m: Middleware) => (middleware = m) } as never);
  if (!middleware) throw new Error('the grants plugin added no middleware');
  return { middleware, runAs: grants.runAs };
}

const key = (pk: string) => ({ pk, sk: '' });

/** Representative commands: who sends them, and what (the leading keys are ones its grants allow). */
const commands: { label: string; fn: string; clientName: string; commandName: string; input: Record<string, unknown> }[] = [
  { label: 'GetItem', fn: 'roomEvents', clientName: 'DynamoDBClient', commandName: 'GetItemCommand', input: { TableName: 'axon', Key: key('transactionIds#@a:x') } },
  {
    label: 'Query',
    fn: 'roomsTopology',
    clientName: 'DynamoDBClient',
    commandName: 'QueryCommand',
    input: { TableName: 'axon', KeyConditionExpression: 'pk = :pk AND sk > :sk', ExpressionAttributeValues: { ':pk': 'roomTimeline#!r:x', ':sk': '0' } },
  },
  {
    label: 'BatchGetItem, 100 keys',
    fn: 'roomsTopology',
    clientName: 'DynamoDBClient',
    commandName: 'BatchGetItemCommand',
    input: { RequestItems: { axon: { Keys: Array.from({ length: 100 }, (_, i) => key(`roomMembers#!r${i}:x`)) } } },
  },
  {
    label: 'TransactWriteItems, 10 items',
    fn: 'roomsTopology',
    clientName: 'DynamoDBClient',
    commandName: 'TransactWriteItemsCommand',
    input: { TransactItems: Array.from({ length: 10 }, (_, i) => ({ Put: { TableName: 'axon', Item: key(`roomTimeline#!r${i}:x`) } })) },
  },
  { label: 'PutRecord', fn: 'roomEvents', clientName: 'KinesisClient', commandName: 'PutRecordCommand', input: { StreamName: 'axon-rooms' } },
  { label: 'PostToConnection', fn: 'roomsTopology', clientName: 'ApiGatewayManagementApiClient', commandName: 'PostToConnectionCommand', input: { ConnectionId: 'abc=' } },
];

async function microsecondsPerCall(handler: Handler, input: Record<string, unknown>, runAs: (run: () => Promise<void>) => Promise<void>): Promise<number> {
  const loop = async () => {
    for (let i = 0; i < ITERATIONS; i++) await handler({ input });
  };
  await runAs(loop); // warm up (regular expressions compiled, code optimised)
  const start = performance.now();
  await runAs(loop);
  return ((performance.now() - start) * 1000) / ITERATIONS;
}

export const grantsSection: BenchSection = {
  name: 'grants',
  description: 'Local grant enforcement: the time it adds to each AWS SDK call, by command',
  // Needs no running Axon (it measures the middleware alone): run apart from the shared one.
  ownsRuntime: true,
  async run(ctx) {
    const { middleware, runAs } = grantMiddleware();
    const next: Handler = () => Promise.resolve({ output: {} });
    for (const command of commands) {
      const checked = middleware(next, { clientName: command.clientName, commandName: command.commandName });
      const as = (run: () => Promise<void>) => runAs(command.fn, run);
      const with_ = await microsecondsPerCall(checked, command.input, as);
      const without = await microsecondsPerCall(next, command.input, as);
      const overhead = Math.max(0, with_ - without);
      ctx.figure(`${command.label} check`, overhead, 'µs');
      ctx.log(`${command.label} (${command.fn}): ${overhead.toFixed(2)} µs per call (${with_.toFixed(2)} with the check, ${without.toFixed(2)} without)`);
    }
  },
};
