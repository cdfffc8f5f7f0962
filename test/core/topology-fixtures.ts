// Shared by the depot, ack, topology and replay tests: a depot stream and table in the local
// engines, and a minimal "event source mapping" that reads the shards and invokes a handler.
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { _Record } from '@aws-sdk/client-kinesis';
import { documentClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { ensureTable } from '../../lib/core/table.ts';
import { deliverBatch, listShards, readShard, type TopologyHandler } from '../../lib/core/replay.ts';
import { kinesisEvent } from '../../lib/core/topology/records.ts';
import { useTestEngines, type TestEnvironment } from '../support/engines.ts';

export type { TestEnvironment };

export { counterKey, counterTopology, type Amount } from './topology-counter.ts';

export async function createDepotStream(depot: string, shards: number): Promise<string> {
  const StreamName = depotStreamName(depot);
  await kinesisClient().send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  for (;;) {
    const { StreamDescriptionSummary: s } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName }));
    if (s?.StreamStatus === 'ACTIVE') return s.StreamARN!;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh table and one depot stream for this test file. */
export async function setUpDepot(label: string, depot: string, shards = 1): Promise<{ prefix: string; streamArn: string; env: TestEnvironment }> {
  const env = useTestEngines(label);
  const [, streamArn] = await Promise.all([ensureTable(tableName()), createDepotStream(depot, shards)]);
  return { prefix: env.prefix, streamArn, env };
}

/** Every record of the depot, per shard, from TRIM_HORIZON. */
export async function readDepot(depot: string): Promise<Map<string, _Record[]>> {
  const streamName = depotStreamName(depot);
  const out = new Map<string, _Record[]>();
  for (const shard of await listShards(streamName)) {
    const records: _Record[] = [];
    for await (const batch of readShard(streamName, shard.ShardId!, 1000)) records.push(...batch);
    out.set(shard.ShardId!, records);
  }
  return out;
}

/**
 * A hand-run event source mapping: each `poll()` delivers, per shard, the records after the last
 * delivered one, in batches of `batchSize`, with partial-failure retries (see deliverBatch).
 */
export function shardPoller(depot: string, streamArn: string, handler: TopologyHandler, batchSize = 100) {
  const positions = new Map<string, string>();
  return {
    async poll(): Promise<number> {
      const streamName = depotStreamName(depot);
      let delivered = 0;
      for (const shard of await listShards(streamName)) {
        const shardId = shard.ShardId!;
        const after = positions.get(shardId);
        for await (const records of readShard(streamName, shardId, batchSize, after ? { after } : {})) {
          await deliverBatch(handler, kinesisEvent(records, { shardId, streamArn }), 'test-topology');
          positions.set(shardId, records.at(-1)!.SequenceNumber!);
          delivered += records.length;
        }
      }
      return delivered;
    },
  };
}

/** All items of a table except the core's bookkeeping (`$ack`, `$checkpoint`). */
export async function tableItems(name = tableName()): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(new ScanCommand({ TableName: name, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items
    .filter((i) => !String(i.pk).startsWith('$'))
    .sort((a, b) => `${String(a.pk)}\u0000${String(a.sk)}`.localeCompare(`${String(b.pk)}\u0000${String(b.sk)}`));
}

