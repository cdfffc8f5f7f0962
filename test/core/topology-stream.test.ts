import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { KinesisDataStreamSchema } from '@aws-lambda-powertools/parser/schemas/kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { newRequestId, readAckOutcome } from '../../lib/core/ack.ts';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { appendRecord, appendToDepot } from '../../lib/core/depot.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { deliverBatch, listShards, readShard, replayDepot } from '../../lib/core/replay.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import { counterTopology, setUpDepot, tableItems } from './topology-fixtures.ts';

let streamArn: string;

/** The single shard of a depot, read whole, as one Lambda event. */
async function wholeShardEvent(depot: string) {
  const [shard] = await listShards(depotStreamName(depot));
  const records = [];
  for await (const batch of readShard(depotStreamName(depot), shard!.ShardId!, 1000)) records.push(...batch);
  return kinesisEvent(records, { shardId: shard!.ShardId!, streamArn });
}

describe('stream topology', () => {
  beforeAll(async () => {
    ({ streamArn } = await setUpDepot('topology-stream', 'amounts', 1));
  });

  it('hands handlers events of the shape Lambda delivers', async () => {
    await appendRecord('amounts', { partitionKey: 'shape', data: { amount: 1 } });
    const event = await wholeShardEvent('amounts');
    expect(() => KinesisDataStreamSchema.parse(event)).not.toThrow();
  });

  it('applies records in order, records outcomes and rejections, and skips undecodable records', async () => {
    const ok = newRequestId();
    const rejected = newRequestId();
    const badEnvelope = newRequestId();
    await appendToDepot('amounts', [
      { partitionKey: 'a', data: { amount: 2 } },
      { partitionKey: 'a', data: { amount: 3 }, requestId: ok },
      { partitionKey: 'a', data: { amount: -1 }, requestId: rejected },
    ]);
    const stream = depotStreamName('amounts');
    await kinesisClient().send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'a', Data: Buffer.from('not json') }));
    await kinesisClient().send(
      new PutRecordCommand({ StreamName: stream, PartitionKey: 'a', Data: Buffer.from(JSON.stringify({ v: 7, requestId: badEnvelope, payload: {} })) }),
    );
    await appendRecord('amounts', { partitionKey: 'a', data: { amount: 10 } });

    const handler = counterTopology();
    const response = await handler(await wholeShardEvent('amounts'), invocationContext('counter'));
    expect(response.batchItemFailures).toEqual([]);
    expect(await readAckOutcome(ok)).toEqual({ ok: true, value: 5 });
    expect(await readAckOutcome(rejected)).toEqual({
      ok: false,
      error: { code: 'NEGATIVE_AMOUNT', message: 'amounts must not be negative', status: 400, data: { amount: -1 } },
    });
    expect(await readAckOutcome(badEnvelope)).toMatchObject({ ok: false, error: { code: 'AXON_INVALID_RECORD' } });
    const items = await tableItems();
    expect(items.find((i) => i.pk === 'counter#a')).toMatchObject({ total: 15, records: 3 });
  });

  it('a handler failing halfway reports the failing record, and the retried tail ends equal to a clean run', async () => {
    const amounts = Array.from({ length: 30 }, (_, i) => ({ partitionKey: `fault-${i % 3}`, data: { amount: i + 1 } }));
    await appendToDepot('amounts', amounts);
    const event = await wholeShardEvent('amounts');
    const faultRecords = event.Records.filter((r) => r.kinesis.partitionKey.startsWith('fault-'));

    // Crash once, AFTER the 15th record's write landed: the retry re-applies it, the guard holds.
    let crashed = false;
    let applied = 0;
    const seen: string[] = [];
    const faulty = counterTopology(undefined, (record) => {
      seen.push(record.sequenceNumber);
      if (record.partitionKey.startsWith('fault-') && ++applied === 15 && !crashed) {
        crashed = true;
        throw new Error('crash after write');
      }
    });
    const firstTry = await faulty({ Records: faultRecords }, invocationContext('counter'));
    expect(firstTry.batchItemFailures).toEqual([{ itemIdentifier: faultRecords[14]!.kinesis.sequenceNumber }]);
    expect(seen).toHaveLength(15); // nothing after the failing record was applied
    await deliverBatch(faulty, { Records: faultRecords }, 'counter');

    const live = (await tableItems()).filter((i) => String(i.pk).startsWith('counter#fault-'));
    for (let k = 0; k < 3; k++) {
      const sum = amounts.filter((a) => a.partitionKey === `fault-${k}`).reduce((s, a) => s + a.data.amount, 0);
      expect(live.find((i) => i.pk === `counter#fault-${k}`)).toMatchObject({ total: sum, records: 10 });
    }
    // The same records through a clean handler, into a fresh table.
    const clean = `${tableName()}-clean`;
    await replayDepot({ depot: 'amounts', handler: counterTopology(), tableName: clean });
    const rebuilt = (await tableItems(clean)).filter((i) => String(i.pk).startsWith('counter#fault-'));
    expect(rebuilt).toEqual(live);
  });

  it('a redelivered batch changes nothing and does not flip a recorded outcome', async () => {
    const requestId = newRequestId();
    await appendRecord('amounts', { partitionKey: 'again', data: { amount: 4 }, requestId });
    const event = await wholeShardEvent('amounts');
    const again = { Records: event.Records.filter((r) => r.kinesis.partitionKey === 'again') };
    const handler = counterTopology();
    await handler(again, invocationContext('counter'));
    const before = await tableItems();
    // Meanwhile a later record of the key was applied; redelivering the first one changes nothing.
    await appendRecord('amounts', { partitionKey: 'again', data: { amount: 6 } });
    const later = (await wholeShardEvent('amounts')).Records.filter((r) => r.kinesis.partitionKey === 'again');
    await handler({ Records: later.slice(1) }, invocationContext('counter'));
    const afterLater = await tableItems();
    expect(afterLater.find((i) => i.pk === 'counter#again')).toMatchObject({ total: 10 });
    await handler(again, invocationContext('counter'));
    await handler({ Records: later }, invocationContext('counter'));
    expect(await tableItems()).toEqual(afterLater);
    expect(before.find((i) => i.pk === 'counter#again')).toMatchObject({ total: 4 });
    expect(await readAckOutcome(requestId)).toEqual({ ok: true, value: 4 });
  });
});
