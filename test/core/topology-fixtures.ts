// Shared by the depot, ack, topology and replay tests: a depot stream and table in the local
// engines, and a minimal "event source mapping" that reads the shards and invokes a handler.
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { _Record } from '@aws-sdk/client-kinesis';
import { documentClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { createTableIfAbsent, deliverBatch, listShards, readShard, type TopologyHandler } from '../../lib/core/replay.ts';
import { kinesisEvent, type DepotRecord } from '../../lib/core/topology/records.ts';
import { Rejection, streamTopology } from '../../lib/core/topology/stream.ts';
import { useTestEngines } from '../support/engines.ts';

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
export async function setUpDepot(label: string, depot: string, shards = 1): Promise<{ prefix: string; streamArn: string }> {
  const { prefix } = useTestEngines(label);
  const [, streamArn] = await Promise.all([createTableIfAbsent(tableName()), createDepotStream(depot, shards)]);
  return { prefix, streamArn };
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

/** A counter per partition key: `counter#<key>` holds the sum of the amounts applied to it. */
export const counterKey = (key: string) => ({ pk: `counter#${key}`, sk: 'total' });

export interface Amount {
  amount: number;
}

/**
 * The idempotent write of a stream topology: add the record's amount unless this record (or a
 * later one of its key) was already applied: the counter remembers the position it has applied.
 * Returns the total after the record.
 */
export async function applyAmount(record: DepotRecord<Amount>): Promise<number> {
  const position = record.sequenceNumber.padStart(129, '0');
  try {
    const out = await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: counterKey(record.partitionKey),
        UpdateExpression: 'ADD #total :amount, #records :one SET #position = :position',
        ConditionExpression: 'attribute_not_exists(#position) OR #position < :position',
        ExpressionAttributeNames: { '#total': 'total', '#records': 'records', '#position': 'position' },
        ExpressionAttributeValues: { ':amount': record.payload.amount, ':one': 1, ':position': position },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes!.total as number;
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: tableName(), Key: counterKey(record.partitionKey), ConsistentRead: true }),
    );
    return Item!.total as number;
  }
}

/** A stream topology over amounts: negative amounts are rejected, the rest are counted. */
export function counterTopology(beforeWrite?: (record: DepotRecord<Amount>) => void, afterWrite?: (record: DepotRecord<Amount>) => void) {
  return streamTopology<Amount, number>({
    name: 'counter',
    payload: {
      parse(p) {
        if (typeof (p as Amount | null)?.amount !== 'number') throw new Error('amount must be a number');
        return p as Amount;
      },
    },
    async handle(record) {
      if (record.payload.amount < 0) throw new Rejection('NEGATIVE_AMOUNT', 'amounts must not be negative', 400, { amount: record.payload.amount });
      beforeWrite?.(record);
      const total = await applyAmount(record);
      afterWrite?.(record);
      return total;
    },
  });
}
