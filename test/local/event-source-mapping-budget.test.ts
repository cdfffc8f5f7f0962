// Kinesis as AWS meters it, locally: the standard consumers of a shard share its 5 GetRecords/s
// (whatever their poll interval and however often appends nudge them), an enhanced fan-out
// consumer reads on its own pipe, and with AWS timing a standard consumer keeps Lambda's cadence of
// one poll a second. Bounds are computed from the time that actually passed: a loaded machine
// only makes fewer reads.
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { defineModule, type TopologyDecl } from '../../lib/core/module.ts';
import { SHARD_READ_LIMITS } from '../../lib/local/event-source-mapping/read-budget.ts';
import { STANDARD_POLL_INTERVAL_MS } from '../../lib/local/event-source-mapping/shard-poller.ts';
import { startEventSourceMappings, type EventSourceMappings } from '../../lib/local/event-source-mapping.ts';
import { eventually, payloadsOf, setUpMapping, type Harness, type Payload } from '../fixtures/esm/harness.ts';

let running: EventSourceMappings | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const quiet = () => {};

/** The harness' module with consumers `a` and `b` (standard) and `c` (enhanced fan-out) of its stream. */
function threeConsumers(h: Harness) {
  const base = h.module.topologies[0]!;
  const topology = (name: string, consumer: TopologyDecl['consumer']): TopologyDecl => ({ ...base, name, function: name, consumer });
  return defineModule({
    ...h.module,
    functions: { a: { entry: 'test/fixtures/esm/none.ts' }, b: { entry: 'test/fixtures/esm/none.ts' }, c: { entry: 'test/fixtures/esm/none.ts' } },
    topologies: [topology('a', 'standard'), topology('b', 'standard'), topology('c', 'enhanced')],
    http: { routes: [], fallback: 'a' },
  });
}

const append = (n: number) =>
  kinesisClient().send(new PutRecordCommand({ StreamName: depotStreamName('events'), PartitionKey: 'k', Data: Buffer.from(JSON.stringify({ key: 'k', n })) }));

describe('shard read budgets', () => {
  it("shares a shard's 5 GetRecords/s among its standard consumers; an enhanced fan-out consumer reads apart", async () => {
    const h = await setUpMapping('esm-budget', 1, {});
    const reads = { a: 0, b: 0, c: 0 };
    const started = Date.now();
    running = await startEventSourceMappings({
      module: threeConsumers(h),
      invoke: async () => undefined,
      // Every consumer would poll its idle shard every 10 ms if nothing held it back.
      pollIntervalMs: 10,
      maxPollIntervalMs: 10,
      authorize: (t) => void reads[t.name as keyof typeof reads]++,
      log: quiet,
    });
    // Both standard consumers get reads (on a loaded machine the first may take the first tokens),
    // while the enhanced fan-out consumer polls on at its own pace.
    await eventually(() => reads.c >= 30 && reads.a > 0 && reads.b > 0, 'the enhanced fan-out consumer polls on and both standard ones read', 60_000);
    const seconds = (Date.now() - started) / 1000;
    // The bucket starts full (5 reads), then refills at 5 per second.
    expect(reads.a + reads.b).toBeLessThanOrEqual(SHARD_READ_LIMITS.getRecordsPerSecond * (1 + seconds));
  });

  it('with AWS timing, polls once a second for a standard consumer however much is appended, and still delivers', async () => {
    const h = await setUpMapping('esm-aws-timing', 1, {});
    const reads = { a: 0, b: 0, c: 0 };
    const delivered: Record<string, Payload[]> = { a: [], b: [], c: [] };
    const started = Date.now();
    running = await startEventSourceMappings({
      module: threeConsumers(h),
      invoke: async (fn, event) => void delivered[fn]!.push(...payloadsOf(event)),
      awsTiming: true,
      authorize: (t) => void reads[t.name as keyof typeof reads]++,
      log: quiet,
    });
    for (let n = 0; n < 10; n++) await append(n);
    await eventually(() => Object.values(delivered).every((d) => d.length === 10), 'every consumer gets every record', 20_000);
    const seconds = (Date.now() - started) / 1000;
    // A poll at start, then one per second (back to back only after a full page, which 10 records never fill).
    expect(reads.a).toBeLessThanOrEqual(2 + seconds * (1000 / STANDARD_POLL_INTERVAL_MS));
    for (const d of Object.values(delivered)) expect(d.map((p) => p.n)).toEqual([...Array(10).keys()]);
  });
});
