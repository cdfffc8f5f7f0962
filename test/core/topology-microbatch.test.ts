import type { KinesisStreamEvent } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { readAckOutcome } from '../../lib/core/ack.ts';
import { documentClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { appendToDepot } from '../../lib/core/depot.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { deliverBatch, listShards, readShard, replayDepot } from '../../lib/core/replay.ts';
import { microbatchTopology, readCheckpoint } from '../../lib/core/topology/microbatch.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import type { TableWrite } from '../../lib/core/table-writes.ts';
import { counterKey, setUpDepot, tableItems, type Amount } from './topology-fixtures.ts';

let streamArn: string;

async function shardEvent(keyPrefix: string): Promise<KinesisStreamEvent> {
  const stream = depotStreamName('ticks');
  const [shard] = await listShards(stream);
  const records = [];
  for await (const batch of readShard(stream, shard!.ShardId!, 1000)) records.push(...batch);
  const event = kinesisEvent(records, { shardId: shard!.ShardId!, streamArn });
  return { Records: event.Records.filter((r) => r.kinesis.partitionKey.startsWith(keyPrefix)) };
}

/** Folds a batch into one ADD per key: no guard of its own, the checkpoint makes it exactly-once. */
function summingTopology(name: string, options: { afterCommit?: () => Promise<void>; spread?: boolean } = {}) {
  return microbatchTopology<Amount>({
    name,
    async fold(records) {
      const sums = new Map<string, { total: number; records: number }>();
      for (const r of records) {
        const key = options.spread ? `${r.partitionKey}#${r.sequenceNumber}` : r.partitionKey;
        const s = sums.get(key) ?? { total: 0, records: 0 };
        s.total += r.payload.amount;
        s.records += 1;
        sums.set(key, s);
      }
      const writes: TableWrite[] = [...sums].map(([key, s]) => ({
        Update: {
          TableName: tableName(),
          Key: counterKey(key),
          UpdateExpression: 'ADD #total :total, #records :records',
          ExpressionAttributeNames: { '#total': 'total', '#records': 'records' },
          ExpressionAttributeValues: { ':total': s.total, ':records': s.records },
        },
      }));
      return { writes, ...(options.afterCommit ? { afterCommit: options.afterCommit } : {}) };
    },
  });
}

const expectedTotals = (records: { partitionKey: string; data: Amount }[]) => {
  const totals = new Map<string, number>();
  for (const r of records) totals.set(r.partitionKey, (totals.get(r.partitionKey) ?? 0) + r.data.amount);
  return totals;
};

async function totalsOf(prefix: string): Promise<Map<string, number>> {
  const items = (await tableItems()).filter((i) => String(i.pk).startsWith(`counter#${prefix}`));
  return new Map(items.map((i) => [String(i.pk).slice('counter#'.length), i.total as number]));
}

describe('microbatch topology', () => {
  beforeAll(async () => {
    ({ streamArn } = await setUpDepot('topology-microbatch', 'ticks', 1));
  });

  it('commits a batch with its checkpoint, runs afterCommit after the commit, and skips it when redelivered', async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ partitionKey: `clean-${i % 4}`, data: { amount: i } }));
    await appendToDepot('ticks', records);
    const event = await shardEvent('clean-');
    let seenByAfterCommit: unknown;
    const handler = summingTopology('sum-clean', {
      async afterCommit() {
        const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: counterKey('clean-0'), ConsistentRead: true }));
        seenByAfterCommit = Item?.total;
      },
    });
    expect(await handler(event, invocationContext('sum'))).toEqual({ batchItemFailures: [] });
    expect(await totalsOf('clean-')).toEqual(expectedTotals(records));
    expect(seenByAfterCommit).toBe(expectedTotals(records).get('clean-0'));
    const [shardId] = event.Records[0]!.eventID.split(':');
    expect(await readCheckpoint('sum-clean', shardId!)).toBe(event.Records.at(-1)!.kinesis.sequenceNumber);

    const before = await tableItems();
    await handler(event, invocationContext('sum'));
    expect(await tableItems()).toEqual(before);
  });

  it('a fold that crashed after its commit, redelivered, ends equal to a clean run', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ partitionKey: `crash-${i % 3}`, data: { amount: i + 1 } }));
    await appendToDepot('ticks', records);
    const event = await shardEvent('crash-');
    const inner = summingTopology('sum-crash');
    let crashes = 0;
    // The invocation dies after the wrapper committed, before Lambda hears back: Lambda retries.
    const crashing = async (e: KinesisStreamEvent, c: ReturnType<typeof invocationContext>) => {
      const response = await inner(e, c);
      if (crashes++ === 0) throw new Error('crash after commit');
      return response;
    };
    await deliverBatch(crashing, event, 'sum-crash');
    expect(crashes).toBe(2);
    expect(await totalsOf('crash-')).toEqual(expectedTotals(records));

    const clean = `${tableName()}-clean`;
    await replayDepot({ depot: 'ticks', handler: summingTopology('sum-crash'), tableName: clean });
    const live = (await tableItems()).filter((i) => String(i.pk).startsWith('counter#crash-'));
    expect((await tableItems(clean)).filter((i) => String(i.pk).startsWith('counter#crash-'))).toEqual(live);
  });

  it('drops the already committed records of a partially overlapping batch', async () => {
    const records = Array.from({ length: 12 }, (_, i) => ({ partitionKey: `overlap-${i % 2}`, data: { amount: 10 ** (i % 6) } }));
    await appendToDepot('ticks', records);
    const event = await shardEvent('overlap-');
    const handler = summingTopology('sum-overlap');
    await handler({ Records: event.Records.slice(0, 8) }, invocationContext('sum'));
    await handler({ Records: event.Records.slice(4) }, invocationContext('sum'));
    expect(await totalsOf('overlap-')).toEqual(expectedTotals(records));
    const items = (await tableItems()).filter((i) => String(i.pk).startsWith('counter#overlap-'));
    expect(items.map((i) => i.records)).toEqual([6, 6]);
  });

  it('two deliveries of one batch racing each other apply it once', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ partitionKey: `race-${i % 2}`, data: { amount: i + 1 } }));
    await appendToDepot('ticks', records);
    const event = await shardEvent('race-');
    const handler = summingTopology('sum-race');
    await Promise.all([deliverBatch(handler, event, 'sum-race'), deliverBatch(handler, event, 'sum-race')]);
    expect(await totalsOf('race-')).toEqual(expectedTotals(records));
  });

  it('leaves out a record it cannot decode, rejecting it for its appender, and still checkpoints past it', async () => {
    const requestId = 'undecodable-request';
    await appendToDepot('ticks', [{ partitionKey: 'odd-0', data: { amount: 1 } }]);
    await kinesisClient().send(
      new PutRecordCommand({ StreamName: depotStreamName('ticks'), PartitionKey: 'odd-0', Data: Buffer.from(JSON.stringify({ v: 9, requestId, payload: {} })) }),
    );
    await appendToDepot('ticks', [{ partitionKey: 'odd-0', data: { amount: 2 } }]);
    const event = await shardEvent('odd-');
    await summingTopology('sum-odd')(event, invocationContext('sum'));
    expect(await totalsOf('odd-')).toEqual(new Map([['odd-0', 3]]));
    expect(await readAckOutcome(requestId)).toMatchObject({ ok: false, error: { code: 'AXON_INVALID_RECORD' } });
    const [shardId] = event.Records[0]!.eventID.split(':');
    expect(await readCheckpoint('sum-odd', shardId!)).toBe(event.Records.at(-1)!.kinesis.sequenceNumber);
  });

  it('commits a fold of more than 100 items record by record, each with its checkpoint', async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ partitionKey: `wide-${i}`, data: { amount: 1 } }));
    await appendToDepot('ticks', records);
    const event = await shardEvent('wide-');
    const handler = summingTopology('sum-wide', { spread: true });
    // One transaction cannot hold the batch's writes (TransactionTooLargeError, deterministic):
    // each record alone fits, and commits with the checkpoint moved over it.
    expect(await handler(event, invocationContext('sum'))).toEqual({ batchItemFailures: [] });
    expect([...(await totalsOf('wide-')).values()].reduce((a, b) => a + b, 0)).toBe(100);
    const [shardId] = event.Records[0]!.eventID.split(':');
    expect(await readCheckpoint('sum-wide', shardId!)).toBe(event.Records.at(-1)!.kinesis.sequenceNumber);
  });
});
