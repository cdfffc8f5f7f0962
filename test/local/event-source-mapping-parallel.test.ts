// ParallelizationFactor, emulated locally against the real engines: a shard's records are split by
// partition key hash into N lanes that invoke at the same time, each key's records in order in
// one lane; a failing lane holds back only its own records; the shard's checkpoint never passes a
// record that is not done, so a restart redelivers it (and the later records of other lanes).
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventSourceMappings, type EventSourceMappings } from '../../lib/local/event-source-mapping.ts';
import { laneOf } from '../../lib/local/event-source-mapping/lanes.ts';
import { listCheckpoints } from '../../lib/local/shard-checkpoints.ts';
import { append, appendAll, eventually, payloadsOf, setUpMapping, type Payload } from '../fixtures/esm/harness.ts';

let running: EventSourceMappings | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const quiet = () => {};
const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);

describe('local event source mapping, ParallelizationFactor', () => {
  it('invokes lanes of one shard at the same time, each key in one lane and in order', async () => {
    const h = await setUpMapping('esm-lanes', 1, { batchSize: 5, parallelization: 4 });
    const events: KinesisStreamEvent[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    running = await startEventSourceMappings({
      module: h.module,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event) => {
        events.push(event);
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 50));
        inFlight--;
      },
    });
    await appendAll(h, keys.flatMap((key) => Array.from({ length: 6 }, (_, n) => ({ key, n }))));
    await running.idle();

    const delivered = events.flatMap(payloadsOf);
    expect(delivered).toHaveLength(keys.length * 6);
    for (const key of keys) expect(delivered.filter((p) => p.key === key).map((p) => p.n)).toEqual([0, 1, 2, 3, 4, 5]);
    // Every batch belongs to one lane, and several lanes were busy at once.
    for (const event of events) expect(new Set(event.Records.map((r) => laneOf(r.kinesis.partitionKey, 4))).size).toBe(1);
    expect(new Set(events.map((e) => laneOf(e.Records[0]!.kinesis.partitionKey, 4))).size).toBe(4);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(4);
  });

  it('lets a failing lane hold back only its own records, and checkpoints only the done prefix of the shard', async () => {
    const h = await setUpMapping('esm-lanes-fail', 1, { batchSize: 10, parallelization: 3, maxRetries: 10_000 });
    const stuckKey = keys.find((k) => laneOf(k, 3) === 0)!;
    const otherKeys = keys.filter((k) => laneOf(k, 3) !== 0);
    const processed: Payload[] = [];
    let failing = true;
    let stuckAttempts = 0;
    const invoke = async (_fn: string, event: KinesisStreamEvent) => {
      const payloads = payloadsOf(event);
      if (payloads.some((p) => p.key === stuckKey)) {
        stuckAttempts++;
        if (failing) throw new Error('the stuck lane fails');
      }
      processed.push(...payloads);
    };
    // The stuck key's record comes first in the shard; every other lane's records come after it.
    const stuck = await append(h, { key: stuckKey, n: 0 });
    for (const key of otherKeys) await append(h, { key, n: 0 });
    running = await startEventSourceMappings({ module: h.module, pollIntervalMs: 10, retryDelayMs: 5, maxBackoffMs: 20, log: quiet, invoke });

    // The other lanes finish while the first record of the shard keeps failing...
    await eventually(() => otherKeys.every((key) => processed.some((p) => p.key === key)) && stuckAttempts >= 3, 'the other lanes are done');
    // ...and the checkpoint stays before it: a restart must deliver it again.
    await running.stop();
    running = undefined;
    const before = (await listCheckpoints('consumer'))[0];
    expect(before === undefined || BigInt(before.sequenceNumber) < BigInt(stuck.sequenceNumber)).toBe(true);

    // After a restart the stuck record succeeds; the records after it are delivered again (at
    // least once, as Lambda retries from its checkpoint), and then the checkpoint passes all.
    failing = false;
    const processedBefore = processed.length;
    running = await startEventSourceMappings({ module: h.module, pollIntervalMs: 10, log: quiet, invoke });
    await running.idle();
    const again = processed.slice(processedBefore);
    expect(again.map((p) => p.key).sort()).toEqual([stuckKey, ...otherKeys].sort());
    const [after] = await listCheckpoints('consumer');
    expect(BigInt(after!.sequenceNumber) > BigInt(stuck.sequenceNumber)).toBe(true);
  });

  it('rejects a parallelization Lambda does not allow, and one on a microbatch topology', async () => {
    await expect(setUpMapping('esm-lanes-bad', 1, { parallelization: 11 })).rejects.toThrow(/parallelization must be 1..10/);
    await expect(setUpMapping('esm-lanes-micro', 1, { kind: 'microbatch', parallelization: 2 })).rejects.toThrow(/one batch per shard/);
  });
});
