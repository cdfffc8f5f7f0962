// The core's wrappers run by the local event source mapping (lib/local), as `npm start` runs them:
// acks through a running and a stopped topology, and crashes under the mapping's own retries
// (partial batch responses for the stream wrapper, bisect-and-retry for the microbatch wrapper).
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckTimeoutError, appendWithAck, newRequestId, readAckOutcome } from '../../lib/core/ack.ts';
import { appendToDepot } from '../../lib/core/depot.ts';
import { tableName } from '../../lib/core/environment.ts';
import { defineModule } from '../../lib/core/module.ts';
import { microbatchTopology } from '../../lib/core/topology/microbatch.ts';
import { invocationContext } from '../../lib/core/topology/records.ts';
import type { KinesisTopologyHandler } from '../../lib/core/topology/stream.ts';
import { startEventSourceMappings, type EventSourceMappings } from '../../lib/local/event-source-mapping.ts';
import { counterKey, counterTopology, setUpDepot, tableItems, type Amount } from './topology-fixtures.ts';

let mappings: EventSourceMappings;
let streamCrashes = 0;
let batchCrashes = 0;

/** Crash after the write of every 7th `flaky-` record, the first time it is seen. */
const crashedOnce = new Set<string>();
const counter = counterTopology(undefined, (record) => {
  const n = Number(record.partitionKey.startsWith('flaky-') && (record.payload.amount % 7 === 0));
  if (n && !crashedOnce.has(record.eventId)) {
    crashedOnce.add(record.eventId);
    streamCrashes++;
    throw new Error('crash after write');
  }
});

/** Sums per key, exactly once by its checkpoint; the invocation dies after its first two commits. */
const sums = microbatchTopology<Amount>({
  name: 'sums',
  async fold(records) {
    const totals = new Map<string, number>();
    for (const r of records) totals.set(r.partitionKey, (totals.get(r.partitionKey) ?? 0) + r.payload.amount);
    return {
      writes: [...totals].map(([key, total]) => ({
        Update: {
          TableName: tableName(),
          Key: counterKey(`sum-${key}`),
          UpdateExpression: 'ADD #total :total',
          ExpressionAttributeNames: { '#total': 'total' },
          ExpressionAttributeValues: { ':total': total },
        },
      })),
    };
  },
});
const crashingSums: KinesisTopologyHandler = async (event, context) => {
  const response = await sums(event, context);
  if (batchCrashes < 2) {
    batchCrashes++;
    throw new Error('crash after commit');
  }
  return response;
};

const handlers: Record<string, KinesisTopologyHandler> = { counter, sums: crashingSums };

beforeAll(async () => {
  const { prefix } = await setUpDepot('topology-esm', 'amounts', 2);
  const module = defineModule({
    name: prefix,
    functions: { counter: { entry: 'test/core/topology-counter.ts' }, sums: { entry: 'test/core/topology-esm.test.ts' } },
    depots: [{ name: 'amounts', partitionKey: 'key', shards: 2 }],
    pstates: [],
    topologies: [
      { name: 'counter', kind: 'stream', depot: 'amounts', function: 'counter', batchSize: 10, batchingWindowMs: 0, maxRetries: 10 },
      { name: 'sums', kind: 'microbatch', depot: 'amounts', function: 'sums', batchSize: 25, batchingWindowMs: 50, maxRetries: 10 },
    ],
    http: { routes: [], fallback: 'counter' },
    websocket: { routes: [], routeSelectionField: 'action' },
  });
  mappings = await startEventSourceMappings({
    module,
    invoke: (fn, event: KinesisStreamEvent) => handlers[fn]!(event, invocationContext(fn)),
    pollIntervalMs: 10,
    retryDelayMs: 10,
    log: () => {},
  });
});

afterAll(async () => {
  await mappings?.stop();
});

describe('topologies under the local event source mapping', () => {
  it('answers appends with ack: outcome and rejection', async () => {
    expect(await appendWithAck('amounts', { partitionKey: 'ack', data: { amount: 3 } }, { timeoutMs: 20_000 })).toEqual({ ok: true, value: 3 });
    expect(await appendWithAck('amounts', { partitionKey: 'ack', data: { amount: -1 } }, { timeoutMs: 20_000 })).toMatchObject({
      ok: false,
      error: { code: 'NEGATIVE_AMOUNT' },
    });
  });

  it('ends crashes mid-batch and after commit with the state of a clean run', async () => {
    const records = Array.from({ length: 60 }, (_, i) => ({ partitionKey: `flaky-${i % 5}`, data: { amount: i + 1 } }));
    await appendToDepot('amounts', records);
    await mappings.idle();
    expect(streamCrashes).toBeGreaterThan(0);
    expect(batchCrashes).toBe(2);
    const items = await tableItems();
    for (let k = 0; k < 5; k++) {
      const expected = records.filter((r) => r.partitionKey === `flaky-${k}`).reduce((s, r) => s + r.data.amount, 0);
      expect(items.find((i) => i.pk === `counter#flaky-${k}`)).toMatchObject({ total: expected, records: 12 });
      expect(items.find((i) => i.pk === `counter#sum-flaky-${k}`)).toMatchObject({ total: expected });
    }
  });

  it('times out an ack while the topology is stopped, and applies the record once restarted', async () => {
    await mappings.get('counter').stop();
    const requestId = newRequestId();
    await expect(
      appendWithAck('amounts', { partitionKey: 'stopped', data: { amount: 8 } }, { timeoutMs: 500, requestId }),
    ).rejects.toBeInstanceOf(AckTimeoutError);
    mappings.get('counter').start();
    await mappings.idle();
    expect(await readAckOutcome(requestId)).toEqual({ ok: true, value: 8 });
  });
});
