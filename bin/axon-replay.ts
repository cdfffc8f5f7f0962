// Rebuild PStates from a depot: replays the depot's stream from TRIM_HORIZON through a topology's
// handler into a fresh table, so the rebuilt state can be compared with the live one.
//
//   npm run replay -- <depot> <topology entry module> <target table> [--export handler] [--batch-size 100]
//
// The environment says where the streams are, as for any function: AXON_STREAM_PREFIX, and for the
// local engines AXON_KINESIS_ENDPOINT / AXON_DYNAMODB_ENDPOINT (on AWS: the usual credentials).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { replayDepot, type TopologyHandler } from '../lib/core/replay.ts';

const usage = 'usage: axon-replay <depot> <topology entry module> <target table> [--export handler] [--batch-size 100]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      export: { type: 'string', default: 'handler' },
      'batch-size': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 3) {
    console.error(usage);
    process.exit(values.help ? 0 : 2);
  }
  const [depot, entry, tableName] = positionals as [string, string, string];
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('--batch-size must be 1..10000');
  const loaded = (await import(pathToFileURL(resolve(entry)).href)) as Record<string, unknown>;
  const handler = loaded[values.export!];
  if (typeof handler !== 'function') throw new Error(`${entry} exports no function "${values.export}"`);
  const report = await replayDepot({ depot, handler: handler as TopologyHandler, tableName, batchSize });
  console.log(JSON.stringify({ depot, tableName, ...report }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
