// PState operations through lib/core/pstate against DynamoDB Local: rates and latencies, and the
// DynamoDB requests and capacity units each operation costs (what the AWS bill is made of). The
// request mix is the point: e.g. adding a new member is a consistent read plus a transaction
// (element + parent size), a lookup is one GetItem, a count one GetItem on the parent.
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { dynamoClient } from '../../lib/core/aws-clients.ts';
import { commit, getMany, map, number, pstate, record, set, string, vector } from '../../lib/core/pstate/index.ts';
import { SkipSection, type BenchContext, type BenchSection } from '../section.ts';
import { percentile, runLoad } from '../stats.ts';

const CONCURRENCY = 8;
const PHASE_MS = Number(process.env.AXON_BENCH_PHASE_MS ?? 1500);
const MAX_OPERATIONS = 5_000;
const ROOMS = 20;

const roomNames = pstate('roomNames', map(string(), string()));
const roomInfo = pstate('roomInfo', map(string(), record({ name: string(), creatorId: string(), position: number() })));
const roomMembers = pstate('roomMembers', map(string(), map(string(), number()).subindexed()));
const memberRooms = pstate('memberRooms', map(string(), set(string()).subindexed()));
const llmTokens = pstate('llmTokens', map(string(), map(string(), vector(string()).subindexed()).subindexed()));

async function measure(ctx: BenchContext, operation: string, run: (i: number) => Promise<unknown>): Promise<void> {
  const result = await ctx.phase(operation, () => runLoad(run, { concurrency: CONCURRENCY, durationMs: PHASE_MS, maxOperations: MAX_OPERATIONS }));
  const ok = result.latencies.length;
  ctx.figure(`${operation} rate`, ok / (result.elapsedMs / 1000), 'ops/s', operation);
  ctx.figure(`${operation} p50`, percentile(result.latencies, 0.5), 'ms', operation);
  ctx.figure(`${operation} errors`, result.errors, 'count', operation);
  const counts = ctx.requests?.(operation) ?? [];
  const ops = Math.max(1, result.operations);
  const mix: string[] = [];
  for (const c of counts.filter((c) => c.service.startsWith('DynamoDB'))) {
    ctx.figure(`${operation}: ${c.operation} per op`, c.requests / ops, 'requests', operation);
    mix.push(`${(c.requests / ops).toFixed(2)} ${c.operation}`);
  }
  const rcu = counts.reduce((n, c) => n + c.readCapacityUnits, 0) / ops;
  const wcu = counts.reduce((n, c) => n + c.writeCapacityUnits, 0) / ops;
  if (counts.length) {
    ctx.figure(`${operation} RCU per op`, rcu, 'RCU', operation);
    ctx.figure(`${operation} WCU per op`, wcu, 'WCU', operation);
  }
  ctx.log(`${operation}: ${ok} ok, ${result.errors} errors; per op: ${mix.join(', ') || 'n/a'}; ${rcu.toFixed(2)} RCU, ${wcu.toFixed(2)} WCU`);
}

export const core: BenchSection = {
  name: 'core',
  description: 'PState reads and writes through lib/core/pstate: rates, latencies, DynamoDB requests and capacity units per operation',
  async run(ctx) {
    if (!process.env.AXON_DYNAMODB_ENDPOINT) throw new SkipSection('needs DynamoDB Local (not available with --url)');
    const table = `bench-core-${randomBytes(4).toString('hex')}`;
    const previousTable = process.env.AXON_TABLE;
    process.env.AXON_TABLE = table;
    await dynamoClient().send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    try {
      await ctx.phase('warm-up', () => runLoad((i) => commit([roomNames.key(`warm${i}`).set('x')]), { concurrency: 4, durationMs: PHASE_MS, maxOperations: 2_000 }));
      const room = (i: number) => `!room${i % ROOMS}`;
      await measure(ctx, 'set (map of strings)', (i) => commit([roomNames.key(`name${i}`).set(room(i))]));
      await measure(ctx, 'get (map of strings)', (i) => roomNames.key(`name${i % 500}`).get());
      await measure(ctx, 'set record', (i) => commit([roomInfo.key(room(i)).set({ name: `Room ${i}`, creatorId: '@alice', position: i })]));
      await measure(ctx, 'get record field', (i) => roomInfo.key(room(i)).field('name').get());
      await measure(ctx, 'set record if position is past stored', (i) =>
        commit([roomInfo.key(`!pos${i}`).set({ name: 'p', creatorId: '@a', position: i }, { ifBelow: i, field: 'position' })]),
      );
      await measure(ctx, 'add new member (subindexed map)', (i) => commit([roomMembers.key(room(i)).key(`@user${i}`).set(0)]));
      await measure(ctx, 'overwrite member (subindexed map)', (i) => commit([roomMembers.key(room(i)).key(`@user${i % 100}`).set(50)]));
      await measure(ctx, 'add to subindexed set', (i) => commit([memberRooms.key(`@user${i % 50}`).add(`!r${i}`)]));
      await measure(ctx, 'count (subindexed map)', (i) => roomMembers.key(room(i)).count());
      await measure(ctx, 'has (subindexed set)', (i) => memberRooms.key(`@user${i % 50}`).has(`!r${i}`));
      await measure(ctx, 'range 20 members', (i) => roomMembers.key(room(i)).range({ limit: 20 }));
      await measure(ctx, 'append token (nested subindexed vector)', (i) => commit([llmTokens.key(`org${i % 4}`).key(`req${i % 40}`).append(`tok${i}`)]));
      await measure(ctx, 'range 50 tokens', (i) => llmTokens.key(`org${i % 4}`).key(`req${i % 40}`).range({ limit: 50 }));
      const keys = Array.from({ length: 100 }, (_, j) => roomNames.key(`name${j}`));
      await measure(ctx, 'getMany 100 keys', () => getMany(keys));
    } finally {
      await dynamoClient().send(new DeleteTableCommand({ TableName: table }));
      if (previousTable === undefined) delete process.env.AXON_TABLE;
      else process.env.AXON_TABLE = previousTable;
    }
  },
};
