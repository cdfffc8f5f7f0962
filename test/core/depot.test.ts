import type { PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { Pluggable } from '@smithy/types';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendRecord,
  appendToDepot,
  DepotRecordTooLargeError,
  MAX_RECORD_BYTES,
  type DepotEnvelope,
} from '../../lib/core/depot.ts';
import { addClientPlugin, removeClientPlugin } from '../../lib/core/aws-clients.ts';
import { readDepot, setUpDepot } from './topology-fixtures.ts';

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
    // 1200 records over 40 keys: 40 heads per round, so 30 rounds; and 700 distinct keys below
    // force requests over the 500-record limit.
    const keys = Array.from({ length: 40 }, (_, i) => `room-${i}`);
    const records = Array.from({ length: 1200 }, (_, i) => ({ partitionKey: keys[i % keys.length]!, data: { n: i } }));
    const wide = Array.from({ length: 700 }, (_, i) => ({ partitionKey: `wide-${i}`, data: { n: i } }));
    const appended = await appendToDepot('events', [...records, ...wide]);
    expect(appended).toHaveLength(1900);
    expect(new Set(appended.map((a) => `${a.shardId}:${a.sequenceNumber}`)).size).toBe(1900);

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
    // Fault injection on the real client: a third of the entries of the first requests are held
    // back from kinesis-mock and answered as throttled, as Kinesis answers a partial failure.
    let requests = 0;
    let refused = 0;
    const failSome: Pluggable<object, object> = {
      applyToStack(stack) {
        (stack as { add: (mw: unknown, o: object) => void }).add(
          (next: (args: { input: unknown }) => Promise<{ output: unknown }>, ctx: { commandName?: string }) =>
            async (args: { input: unknown }) => {
              if (ctx.commandName !== 'PutRecordsCommand' || ++requests > 6) return next(args);
              const input = args.input as PutRecordsCommandInput;
              const entries = input.Records ?? [];
              const keep = entries.map((_, i) => i % 3 !== 1);
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
          { step: 'initialize', name: 'failSomePutRecordsEntries' },
        );
      },
    };
    addClientPlugin(failSome);
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
      removeClientPlugin(failSome);
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
