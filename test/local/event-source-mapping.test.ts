// The local Kinesis event source mapping against the real kinesis-mock and DynamoDB Local:
// ordering, the event object's shape, the batching window, checkpoints across restarts, and
// engines that stop answering for a while.
import { KinesisDataStreamSchema } from '@aws-lambda-powertools/parser/schemas/kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/engines.ts';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient, resetClients } from '../../lib/core/aws-clients.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { startEventSourceMappings, type EventSourceMappings } from '../../lib/local/event-source-mapping.ts';
import { listCheckpoints, writeCheckpoint } from '../../lib/local/shard-checkpoints.ts';
import { append, appendAll, eventually, payloadsOf, setUpMapping, type Payload } from '../fixtures/esm/harness.ts';

let running: EventSourceMappings | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const quiet = () => {};

/** The payloads each key received, in delivery order. */
function byKey(payloads: Payload[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of payloads) out.set(p.key, [...(out.get(p.key) ?? []), p.n]);
  return out;
}

describe('local Kinesis event source mapping', () => {
  it('delivers every record once, in order per partition key, across shards, in the event shape Lambda uses', async () => {
    const h = await setUpMapping('esm-order', 3, { batchSize: 7 });
    const events: KinesisStreamEvent[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (fn, event) => {
        expect(fn).toBe('consume');
        events.push(event);
      },
      pollIntervalMs: 10,
      log: quiet,
    });
    const keys = Array.from({ length: 12 }, (_, i) => `room-${i}`);
    const perKey = 8;
    const landed = new Map<string, string>(); // sequence number → shard
    // Appends for different keys interleave; each key's appends are sequential so its order is defined.
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < perKey; n++) {
          const { shardId, sequenceNumber } = await append(h, { key, n });
          landed.set(sequenceNumber, shardId);
        }
      }),
    );
    await running.idle();

    const delivered = events.flatMap(payloadsOf);
    expect(delivered).toHaveLength(keys.length * perKey);
    for (const key of keys) expect(byKey(delivered).get(key)).toEqual(Array.from({ length: perKey }, (_, n) => n));

    const shardsSeen = new Set<string>();
    for (const event of events) {
      const parsed = KinesisDataStreamSchema.parse(event);
      expect(parsed.Records.length).toBeGreaterThan(0);
      expect(parsed.Records.length).toBeLessThanOrEqual(7);
      const shardOfBatch = event.Records[0]!.eventID.split(':')[0]!;
      for (const [i, record] of event.Records.entries()) {
        expect(record.eventSourceARN).toBe(h.streamArn);
        expect(record.awsRegion).toBe(h.streamArn.split(':')[3]);
        expect(record.eventID).toBe(`${landed.get(record.kinesis.sequenceNumber)}:${record.kinesis.sequenceNumber}`);
        // A batch comes from one shard, in sequence order.
        expect(record.eventID.startsWith(`${shardOfBatch}:`)).toBe(true);
        if (i > 0) expect(BigInt(record.kinesis.sequenceNumber) > BigInt(event.Records[i - 1]!.kinesis.sequenceNumber)).toBe(true);
        expect(parsed.Records[i]!.kinesis.data).toEqual(payloadsOf(event)[i]);
        expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1_600_000_000);
        expect(record.kinesis.approximateArrivalTimestamp).toBeLessThan(Date.now() / 1000 + 60);
      }
      shardsSeen.add(shardOfBatch);
    }
    expect(shardsSeen.size).toBe(3);
  });

  it('gathers records appended at different times into one invocation during the batching window', async () => {
    const h = await setUpMapping('esm-window', 1, { batchSize: 4, batchingWindowMs: 300_000 });
    const events: KinesisStreamEvent[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void events.push(event),
      pollIntervalMs: 10,
      log: quiet,
    });
    for (let n = 0; n < 3; n++) {
      await append(h, { key: 'k', n });
      // Several polls happen between appends; the window keeps the batch open.
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events).toHaveLength(0);
    // A full batch ends the window.
    await append(h, { key: 'k', n: 3 });
    await running.idle();
    expect(events.map(payloadsOf).map((batch) => batch.map((p) => p.n))).toEqual([[0, 1, 2, 3]]);
  });

  it('invokes with what it gathered when the batching window ends before the batch is full', async () => {
    const h = await setUpMapping('esm-window-end', 1, { batchSize: 100, batchingWindowMs: 200 });
    const events: KinesisStreamEvent[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void events.push(event),
      pollIntervalMs: 10,
      log: quiet,
    });
    await appendAll(h, [0, 1, 2].map((n) => ({ key: 'k', n })));
    await running.idle();
    expect(events.map(payloadsOf).flat().map((p) => p.n)).toEqual([0, 1, 2]);
  });

  it('polls an idle shard slowly, but at once when this process appends to its stream', async () => {
    const h = await setUpMapping('esm-nudge', 2, {});
    const delivered: Payload[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void delivered.push(...payloadsOf(event)),
      // After one empty poll a shard would wait a minute before polling again...
      pollIntervalMs: 60_000,
      maxPollIntervalMs: 60_000,
      log: quiet,
    });
    await running.idle();
    // ...but an append through the shared client (as the local handlers append) wakes its pollers.
    await kinesisClient().send(new PutRecordCommand({ StreamName: depotStreamName('events'), PartitionKey: 'k', Data: Buffer.from('{"key":"k","n":0}') }));
    await eventually(() => delivered.length === 1, 'the appended record is delivered', 15_000);
    expect(delivered).toEqual([{ key: 'k', n: 0 }]);
  });

  it('resumes from the persisted checkpoints after a stop and a fresh start: nothing twice, nothing missed', async () => {
    const h = await setUpMapping('esm-resume', 2, { batchSize: 5 });
    const delivered: Payload[] = [];
    let stopping: Promise<void> | undefined;
    let stopAfter: number | undefined = 12;
    const invoke = async (_fn: string, event: KinesisStreamEvent) => {
      delivered.push(...payloadsOf(event));
      // Stop in the middle of the stream, while this batch (and maybe the other shard's) is in flight.
      if (stopAfter !== undefined && delivered.length >= stopAfter && running && !stopping) stopping = running.stop();
      await new Promise((r) => setTimeout(r, 2));
    };
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const appendRound = (from: number, to: number) =>
      Promise.all(keys.map(async (key) => {
        for (let n = from; n < to; n++) await append(h, { key, n });
      }));

    await appendRound(0, 10);
    running = await startEventSourceMappings({ module: h.module, invoke, pollIntervalMs: 10, log: quiet });
    // The batches in flight finish and are checkpointed; no other batch starts.
    await eventually(() => stopping !== undefined, 'the stop is requested');
    await stopping;
    stopAfter = undefined;
    expect(delivered.length).toBeLessThanOrEqual(12 + 2 * 5);
    const checkpoints = await listCheckpoints('consumer');
    expect(checkpoints.length).toBeGreaterThan(0);

    await appendRound(10, 15);
    running = await startEventSourceMappings({ module: h.module, invoke, pollIntervalMs: 10, log: quiet });
    await running.idle();
    expect(delivered).toHaveLength(keys.length * 15);
    for (const key of keys) expect(byKey(delivered).get(key)).toEqual(Array.from({ length: 15 }, (_, n) => n));

    // The same handle restarts from the checkpoints too.
    const mapping = running.get('consumer');
    await mapping.stop();
    await expect(mapping.idle(1_000)).rejects.toThrow(/stopped/);
    await appendRound(15, 16);
    mapping.start();
    await mapping.idle();
    expect(delivered).toHaveLength(keys.length * 16);

    // A restart that does not wait for the stop: the new run begins after the old one ended.
    const appending = appendRound(16, 20);
    await eventually(() => delivered.length > keys.length * 16, 'records flow again');
    const stoppingHandle = mapping.stop();
    mapping.start();
    await stoppingHandle;
    await appending;
    await mapping.idle();
    expect(delivered).toHaveLength(keys.length * 20);
    for (const key of keys) expect(byKey(delivered).get(key)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it('resumes at the checkpointed record\'s arrival time when the stream no longer holds that record', async () => {
    const h = await setUpMapping('esm-lost', 1, { batchSize: 10 });
    const landed: { sequenceNumber: string }[] = [];
    for (let n = 0; n < 3; n++) {
      landed.push(await append(h, { key: 'k', n }));
      await new Promise((r) => setTimeout(r, 5)); // distinct arrival times
    }
    // A checkpoint past anything the stream holds, as after kinesis-mock was killed before it
    // persisted its last records; the record at its arrival time is n = 1.
    const arrivals: number[] = [];
    const probe = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void arrivals.push(...event.Records.map((r) => r.kinesis.approximateArrivalTimestamp * 1000)),
      pollIntervalMs: 10,
      log: quiet,
    });
    await probe.idle();
    await probe.stop();
    const checkpoint = (await listCheckpoints('consumer'))[0]!;
    await writeCheckpoint({ ...checkpoint, sequenceNumber: (BigInt(landed[2]!.sequenceNumber) + 1_000_000n).toString(), arrivedAt: arrivals[1] });
    await append(h, { key: 'k', n: 3 });

    const delivered: Payload[] = [];
    const lines: string[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void delivered.push(...payloadsOf(event)),
      pollIntervalMs: 10,
      log: (line) => lines.push(line),
    });
    await running.idle();
    expect(lines.some((l) => l.includes('no longer has record'))).toBe(true);
    // From the record that arrived at the checkpoint's time on: nothing appended later is skipped.
    expect(delivered.map((p) => p.n)).toEqual([1, 2, 3]);
  });

  it('survives kinesis-mock and DynamoDB Local not answering for a while without skipping or repeating records', async () => {
    const h = await setUpMapping('esm-outage', 2, { batchSize: 3 });
    const delivered: Payload[] = [];
    const lines: string[] = [];
    running = await startEventSourceMappings({
      module: h.module,
      invoke: async (_fn, event) => void delivered.push(...payloadsOf(event)),
      pollIntervalMs: 10,
      maxBackoffMs: 200,
      log: (line) => lines.push(line),
    });
    const keys = ['x', 'y', 'z', 'w'];
    const appendRound = (from: number, to: number) =>
      Promise.all(keys.map(async (key) => {
        for (let n = from; n < to; n++) await append(h, { key, n });
      }));
    await appendRound(0, 5);
    await running.idle();

    // Kinesis goes away: the mapping's clients now point at a port nobody listens on.
    const dead = `http://127.0.0.1:${await freePort()}`;
    process.env.AXON_KINESIS_ENDPOINT = dead;
    resetClients();
    await appendRound(5, 10); // through the producer's own client, to the real engine
    await eventually(() => lines.some((l) => l.includes('reading the shard failed')), 'the mapping notices the outage');
    process.env.AXON_KINESIS_ENDPOINT = h.kinesisEndpoint;
    resetClients();
    await running.idle();

    // DynamoDB goes away: records are invoked but their checkpoint cannot be written yet.
    process.env.AXON_DYNAMODB_ENDPOINT = dead;
    resetClients();
    const invokedBefore = delivered.length;
    await appendRound(10, 12);
    await eventually(() => lines.some((l) => l.includes('writing the checkpoint failed')), 'the checkpoint write fails');
    const invokedDuringOutage = delivered.length;
    process.env.AXON_DYNAMODB_ENDPOINT = h.dynamoEndpoint;
    resetClients();
    await running.idle();

    // A batch whose checkpoint write was retried is not invoked again.
    expect(invokedDuringOutage).toBeGreaterThan(invokedBefore);
    expect(delivered).toHaveLength(keys.length * 12);
    for (const key of keys) expect(byKey(delivered).get(key)).toEqual(Array.from({ length: 12 }, (_, n) => n));
  });
});
