// A stream topology over a partitioned depot: lanes (partitions) of a batch are applied at the same
// time, each one's records strictly in order; a failure holds back only its own lane's later
// records while the rest of the batch completes; the partial batch response names each failed
// lane's first record, and Lambda's retry from the lowest of them applies nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToDepot } from '../../lib/core/depot.ts';
import { depotPartitionsVariable, depotStreamName } from '../../lib/core/environment.ts';
import { partitionOf } from '../../lib/core/partitions.ts';
import { deliverBatch, listShards, readShard } from '../../lib/core/replay.ts';
import { invocationContext, kinesisEvent, type DepotRecord } from '../../lib/core/topology/records.ts';
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applyAmount, type Amount } from './topology-counter.ts';
import { setUpDepot, tableItems } from './topology-fixtures.ts';

const PARTITIONS = 8;
let streamArn: string;

/** Keys in distinct partitions (so in distinct lanes), `per` of them. */
function keysInDistinctPartitions(prefix: string, count: number): string[] {
  const out: string[] = [];
  const used = new Set<number>();
  for (let i = 0; out.length < count; i++) {
    const key = `${prefix}-${i}`;
    if (used.has(partitionOf(key, PARTITIONS))) continue;
    used.add(partitionOf(key, PARTITIONS));
    out.push(key);
  }
  return out;
}

/** Everything in the depot's one shard, as one Lambda event. */
async function shardEvent() {
  const [shard] = await listShards(depotStreamName('laned'));
  const records = [];
  for await (const batch of readShard(depotStreamName('laned'), shard!.ShardId!, 1000)) records.push(...batch);
  return kinesisEvent(records, { shardId: shard!.ShardId!, streamArn });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The partition key (room id, user id) of a record of a partitioned depot: the envelope's `key`. */
const keyOf = (r: { kinesis: { data: string } }) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()) as { key: string }).key;

describe('stream topology over a partitioned depot', () => {
  beforeAll(async () => {
    process.env.AXON_DEPOT_PARTITIONS = depotPartitionsVariable([{ name: 'laned', partitions: PARTITIONS }]);
    ({ streamArn } = await setUpDepot('topology-lanes', 'laned', 1));
  });
  afterAll(() => {
    delete process.env.AXON_DEPOT_PARTITIONS;
  });

  it('applies lanes at the same time and each lane strictly in order', async () => {
    const keys = keysInDistinctPartitions('order', 5);
    await appendToDepot('laned', Array.from({ length: 40 }, (_, i) => ({ partitionKey: keys[i % keys.length]!, data: { amount: i } })));
    const applied = new Map<string, number[]>();
    let inFlight = 0;
    let mostInFlight = 0;
    const handler = streamTopology<Amount, number>({
      name: 'order',
      async handle(record) {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        // Later records of a lane finish faster: only the lane's own order keeps them in line.
        await sleep(20 - (record.payload.amount % 20));
        applied.set(record.partitionKey, [...(applied.get(record.partitionKey) ?? []), record.payload.amount]);
        inFlight--;
        return applyAmount(record);
      },
    });
    const event = await shardEvent();
    const response = await handler({ Records: event.Records.filter((r) => keyOf(r).startsWith('order-')) }, invocationContext('order'));
    expect(response.batchItemFailures).toEqual([]);
    for (const [k, key] of keys.entries()) expect(applied.get(key)).toEqual(Array.from({ length: 8 }, (_, n) => n * keys.length + k));
    expect(mostInFlight).toBe(keys.length);
  });

  it('holds back only the failing lane, reports each failed lane once, and the retry from the lowest applies nothing twice', async () => {
    const [failingA, failingB, ...healthy] = keysInDistinctPartitions('fail', 5);
    const amounts = Array.from({ length: 30 }, (_, i) => ({ partitionKey: [failingA, failingB, ...healthy][i % 5]!, data: { amount: i + 1 } }));
    await appendToDepot('laned', amounts);
    const event = await shardEvent();
    const ours = event.Records.filter((r) => keyOf(r).startsWith('fail-'));

    const seen: DepotRecord<Amount>[] = [];
    const failOnce = new Set([failingA, failingB]);
    const handler = streamTopology<Amount, number>({
      name: 'failing',
      async handle(record) {
        seen.push(record);
        // The second record of each failing key fails, the first time.
        const index = amounts.filter((a) => a.partitionKey === record.partitionKey).findIndex((a) => a.data.amount === record.payload.amount);
        if (failOnce.has(record.partitionKey) && index === 1) {
          failOnce.delete(record.partitionKey);
          throw new Error(`transient failure of ${record.partitionKey}`);
        }
        return applyAmount(record);
      },
    });
    const first = await handler({ Records: ours }, invocationContext('failing'));
    const failedA = ours.filter((r) => keyOf(r) === failingA)[1]!;
    const failedB = ours.filter((r) => keyOf(r) === failingB)[1]!;
    // Each failed lane's first failed record, lowest first: Lambda checkpoints before the lowest.
    expect(first.batchItemFailures).toEqual([failedA, failedB].map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })));
    // The failing lanes stopped at their failure; every other lane ran to the end of the batch.
    for (const key of [failingA, failingB]) expect(seen.filter((r) => r.partitionKey === key)).toHaveLength(2);
    for (const key of healthy) expect(seen.filter((r) => r.partitionKey === key)).toHaveLength(6);

    // Lambda delivers everything from the lowest failed record again (healthy lanes' records
    // after it included); each amount still counts once.
    seen.length = 0;
    await deliverBatch(handler, { Records: ours.slice(ours.indexOf(failedA)) }, 'failing');
    expect(seen.some((r) => healthy.includes(r.partitionKey))).toBe(true);
    const totals = new Map((await tableItems()).filter((i) => String(i.pk).startsWith('counter#fail-')).map((i) => [String(i.pk).slice(8), i.total]));
    for (const key of [failingA!, failingB!, ...healthy]) {
      expect(totals.get(key)).toBe(amounts.filter((a) => a.partitionKey === key).reduce((s, a) => s + a.data.amount, 0));
    }
  });
});
