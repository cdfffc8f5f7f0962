import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendToDepot } from '../../lib/core/depot.ts';
import { tableName } from '../../lib/core/environment.ts';
import { replayDepot } from '../../lib/core/replay.ts';
import { counterTopology, setUpDepot, shardPoller, tableItems, type TestEnvironment } from './topology-fixtures.ts';

let streamArn: string;
let env: TestEnvironment;

describe('replay', () => {
  beforeAll(async () => {
    ({ streamArn, env } = await setUpDepot('replay', 'ledger', 3));
    // Appended in several calls, processed live in small batches with a crash in the middle.
    for (let round = 0; round < 3; round++) {
      await appendToDepot(
        'ledger',
        Array.from({ length: 42 }, (_, i) => ({ partitionKey: `acct-${i % 7}`, data: { amount: round * 100 + i } })),
      );
    }
    let crashed = false;
    const live = shardPoller(
      'ledger',
      streamArn,
      counterTopology(undefined, () => {
        if (!crashed) {
          crashed = true;
          throw new Error('crash');
        }
      }),
      11,
    );
    await live.poll();
  });

  it('rebuilds into a fresh table the same state as the live run, and restores AXON_TABLE', async () => {
    const liveTable = tableName();
    const report = await replayDepot({ depot: 'ledger', handler: counterTopology(), tableName: `${liveTable}-rebuilt`, batchSize: 17 });
    expect(report).toMatchObject({ shards: 3, records: 126 });
    expect(process.env.AXON_TABLE).toBe(liveTable);
    const live = await tableItems(liveTable);
    expect(live.length).toBe(7);
    expect(live.reduce((s, i) => s + (i.records as number), 0)).toBe(126);
    expect(await tableItems(`${liveTable}-rebuilt`)).toEqual(live);
  });

  it('runs as the axon-replay command', async () => {
    const target = `${tableName()}-cli`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bin/axon-replay.ts', 'ledger', 'test/core/topology-counter.ts', target, '--batch-size', '50'],
      {
        env: {
          ...process.env,
          AXON_KINESIS_ENDPOINT: env.kinesisEndpoint,
          AXON_DYNAMODB_ENDPOINT: env.dynamoEndpoint,
          AXON_STREAM_PREFIX: env.prefix,
          AXON_TABLE: 'unused-by-replay',
        },
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ depot: 'ledger', tableName: target, shards: 3, records: 126 });
    expect(await tableItems(target)).toEqual(await tableItems(tableName()));
  });
});
