import {
  ProvisionedThroughputExceededException,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import type { Pluggable } from '@smithy/types';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendRecord,
  appendToDepot,
  DepotAppendError,
  DepotRecordTooLargeError,
  MAX_RECORD_BYTES,
  type DepotEnvelope,
} from '../../lib/core/depot.ts';
import { addClientPlugin, removeClientPlugin } from '../../lib/core/aws-clients.ts';
import { depotPartitionsVariable } from '../../lib/core/environment.ts';
import { partitionOf } from '../../lib/core/partitions.ts';
import { readDepot, setUpDepot } from './topology-fixtures.ts';

let refused = 0;

/**
 * Fault injection on the real client: PutRecords entries chosen by `refuse` are held back from
 * kinesis-mock and answered as throttled, the way Kinesis answers a partially failed request.
 * A lone record (PutRecord) chosen by `refuse` fails as a throttled PutRecord does.
 */
function refuseEntries(refuse: (entry: PutRecordsRequestEntry) => boolean): Pluggable<object, object> {
  type Next = (args: { input: unknown }) => Promise<{ output: unknown }>;
  return {
    applyToStack(stack) {
      (stack as { add: (mw: unknown, o: object) => void }).add(
        (next: Next, ctx: { commandName?: string }) => async (args: { input: unknown }) => {
          if (ctx.commandName === 'PutRecordCommand' && refuse(args.input as PutRecordsRequestEntry)) {
            refused++;
            throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} });
          }
          if (ctx.commandName !== 'PutRecordsCommand') return next(args);
          const input = args.input as PutRecordsCommandInput;
          const entries = input.Records ?? [];
          const keep = entries.map((e) => !refuse(e));
          const result = await next({ ...args, input: { ...input, Records: entries.filter((_, i) => keep[i]) } });
          const output = result.output as PutRecordsCommandOutput;
          const answered = [...(output.Records ?? [])];
          output.Records = keep.map((k) => {
            if (k) return answered.shift()!;
            refused++;
            return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' };
          });
          output.FailedRecordCount = (output.FailedRecordCount ?? 0) + keep.filter((k) => !k).length;
          return result;
        },
        { step: 'initialize', name: 'refusePutRecordsEntries' },
      );
    },
  };
}

const decode = (data: Uint8Array | undefined) => JSON.parse(Buffer.from(data!).toString('utf8')) as DepotEnvelope;

describe('depot appends', () => {
  beforeAll(async () => {
    await setUpDepot('depot', 'events', 2);
  });

  it('appends one record as a versioned JSON envelope', async () => {
    const appended = await appendRecord('events', { partitionKey: 'one', data: { hello: 'world' }, kind: 'greeting' });
    expect(appended.partitionKey).toBe('one');
    expect(appended.sequenceNumber).toMatch(/^\d+$/);
    const records = [...(await readDepot('events')).values()].flat();
    const found = records.find((r) => r.SequenceNumber === appended.sequenceNumber);
    expect(found?.PartitionKey).toBe('one');
    expect(decode(found?.Data)).toEqual({ v: 1, kind: 'greeting', payload: { hello: 'world' } });
  });

  it('appends more than one request holds, keeping the order of every partition key', async () => {
    // 400 records over 40 keys: 40 heads per round, so 10 rounds; and 700 distinct keys below
    // force requests over the 500-record limit.
    const keys = Array.from({ length: 40 }, (_, i) => `room-${i}`);
    const records = Array.from({ length: 400 }, (_, i) => ({ partitionKey: keys[i % keys.length]!, data: { n: i } }));
    const wide = Array.from({ length: 700 }, (_, i) => ({ partitionKey: `wide-${i}`, data: { n: i } }));
    const appended = await appendToDepot('events', [...records, ...wide]);
    expect(appended).toHaveLength(1100);
    expect(new Set(appended.map((a) => `${a.shardId}:${a.sequenceNumber}`)).size).toBe(1100);

    const inStream = [...(await readDepot('events')).values()].flat();
    for (const key of keys) {
      const sent = records.filter((r) => r.partitionKey === key).map((r) => r.data.n);
      const read = inStream.filter((r) => r.PartitionKey === key).map((r) => (decode(r.Data).payload as { n: number }).n);
      expect(read).toEqual(sent);
    }
    const wideRead = inStream.filter((r) => r.PartitionKey?.startsWith('wide-'));
    expect(wideRead).toHaveLength(700);
  });

  it('retries the entries a PutRecords refuses without losing, duplicating or reordering any', async () => {
    // Every third entry seen refused, over the first 300 entries: heads of keys fail at varying places.
    let seen = 0;
    const plugin = refuseEntries(() => {
      const n = seen++;
      return n < 300 && n % 3 === 1;
    });
    addClientPlugin(plugin);
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `retry-${i}`);
      const records = Array.from({ length: 200 }, (_, i) => ({ partitionKey: keys[i % 10]!, data: { n: i } }));
      await appendToDepot('events', records, { baseDelayMs: 5 });
      expect(refused).toBeGreaterThan(0);
      const inStream = [...(await readDepot('events')).values()].flat();
      for (const key of keys) {
        const sent = records.filter((r) => r.partitionKey === key).map((r) => r.data.n);
        const read = inStream.filter((r) => r.PartitionKey === key).map((r) => (decode(r.Data).payload as { n: number }).n);
        expect(read).toEqual(sent);
      }
    } finally {
      removeClientPlugin(plugin);
    }
  });

  it('gives up on a key that keeps failing, saying which records were not appended, and appends the rest', async () => {
    const plugin = refuseEntries((entry) => entry.PartitionKey === 'stuck');
    addClientPlugin(plugin);
    try {
      const records = [
        { partitionKey: 'stuck', data: 1 },
        { partitionKey: 'free', data: 2 },
        { partitionKey: 'stuck', data: 3 },
        { partitionKey: 'free', data: 4 },
      ];
      const error = await appendToDepot('events', records, { maxAttempts: 3, baseDelayMs: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DepotAppendError);
      expect((error as DepotAppendError).failed.map((f) => f.record.data)).toEqual([1, 3]);
      expect((error as DepotAppendError).appended.filter(Boolean).map((a) => a!.partitionKey)).toEqual(['free', 'free']);
      const inStream = [...(await readDepot('events')).values()].flat();
      expect(inStream.filter((r) => r.PartitionKey === 'stuck')).toEqual([]);
      expect(inStream.filter((r) => r.PartitionKey === 'free').map((r) => decode(r.Data).payload)).toEqual([2, 4]);
    } finally {
      removeClientPlugin(plugin);
    }
  });

  it('rejects a record over 1 MB before sending anything', async () => {
    const big = 'x'.repeat(MAX_RECORD_BYTES);
    const before = [...(await readDepot('events')).values()].flat().length;
    await expect(
      appendToDepot('events', [
        { partitionKey: 'small', data: 'fine' },
        { partitionKey: 'big', data: big },
      ]),
    ).rejects.toBeInstanceOf(DepotRecordTooLargeError);
    const after = [...(await readDepot('events')).values()].flat().length;
    expect(after).toBe(before);
  });

  it('accepts a record just under the limit', async () => {
    const envelopeBytes = JSON.stringify({ v: 1, payload: '' }).length;
    const data = 'y'.repeat(MAX_RECORD_BYTES - envelopeBytes - 'k'.length);
    const appended = await appendRecord('events', { partitionKey: 'k', data });
    expect(appended.sequenceNumber).toMatch(/^\d+$/);
  });
});

describe('partitioned depot appends', () => {
  beforeAll(async () => {
    await setUpDepot('depot-partitioned', 'parted', 2);
  });

  it('puts each key in its partition (a Kinesis partition key), the partitions spread evenly over the shards, the key in the envelope', async () => {
    const partitions = 8;
    process.env.AXON_DEPOT_PARTITIONS = depotPartitionsVariable([{ name: 'parted', partitions }]);
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `!room-${i}:example.org`);
      const appended = await appendToDepot('parted', keys.flatMap((key) => [0, 1].map((n) => ({ partitionKey: key, data: { key, n } }))));
      const inStream = [...(await readDepot('parted')).entries()].flatMap(([shardId, records]) => records.map((r) => ({ shardId, r })));
      expect(inStream).toHaveLength(120);
      for (const { shardId, r } of inStream) {
        const envelope = decode(r.Data);
        const { key } = envelope.payload as { key: string };
        const partition = partitionOf(key, partitions);
        expect(envelope.key).toBe(key);
        expect(r.PartitionKey).toBe(`p${partition}`);
        // Two shards split the hash key space in halves: partitions 0-3 in the first, 4-7 in the second.
        expect(shardId).toBe(partition < partitions / 2 ? 'shardId-000000000000' : 'shardId-000000000001');
      }
      // A key's records keep their order; what the appender is told names the lane.
      for (const key of keys) expect(inStream.filter(({ r }) => decode(r.Data).key === key).map(({ r }) => (decode(r.Data).payload as { n: number }).n)).toEqual([0, 1]);
      for (const a of appended) expect(a.lane).toBe(`${Number(a.shardId.slice(-1))}.p${partitionOf(a.partitionKey, partitions)}`);
      expect(new Set(keys.map((k) => partitionOf(k, partitions))).size).toBe(partitions);
    } finally {
      delete process.env.AXON_DEPOT_PARTITIONS;
    }
  });
});
