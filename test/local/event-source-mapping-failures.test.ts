// Lambda's error handling for Kinesis, emulated locally against the real engines: retry of a
// failed batch, BisectBatchOnFunctionError, ReportBatchItemFailures, bounded retries and the
// on-failure destination (the local dead-letter store and the command that lists it).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventSourceMappings, type EventSourceMappings } from '../../lib/local/event-source-mapping.ts';
import { listDeadLetters, putDeadLetter } from '../../lib/local/dead-letters.ts';
import { listCheckpoints } from '../../lib/local/shard-checkpoints.ts';
import { append, appendAll, payloadsOf, setUpMapping, type Payload } from '../fixtures/esm/harness.ts';

let running: EventSourceMappings | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const quiet = () => {};
const ns = (event: KinesisStreamEvent) => payloadsOf(event).map((p) => p.n);
const records = (from: number, to: number, poison: number[] = []): Payload[] =>
  Array.from({ length: to - from }, (_, i) => ({ key: 'k', n: from + i, ...(poison.includes(from + i) ? { poison: true } : {}) }));

describe('local Kinesis event source mapping, failures', () => {
  it('redelivers the whole batch after the function throws', async () => {
    const h = await setUpMapping('esm-redeliver', 1, { batchSize: 10, maxRetries: 3 });
    await appendAll(h, records(0, 6));
    const batches: number[][] = [];
    running = await startEventSourceMappings({
      module: h.module,
      bisectBatchOnFunctionError: false,
      retryDelayMs: 1,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event) => {
        batches.push(ns(event));
        if (batches.length === 1) throw new Error('transient');
      },
    });
    await running.idle();
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5],
      [0, 1, 2, 3, 4, 5],
    ]);
    expect(await listDeadLetters('consumer')).toEqual([]);
  });

  it('bisects a batch with a poison record until it is isolated, then dead-letters it after its retries', async () => {
    const h = await setUpMapping('esm-bisect', 1, { batchSize: 8, maxRetries: 1 });
    await appendAll(h, records(0, 8, [5]));
    const batches: number[][] = [];
    running = await startEventSourceMappings({
      module: h.module,
      retryDelayMs: 1,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event) => {
        batches.push(ns(event));
        if (payloadsOf(event).some((p) => p.poison)) throw new Error('cannot digest record 5');
      },
    });
    await running.idle();
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7], // fails: split
      [0, 1, 2, 3], // ok
      [4, 5, 6, 7], // fails: split
      [4, 5], // fails: split
      [4], // ok
      [5], // fails: retry 1 of maxRetries 1
      [5], // fails again: to the dead-letter store
      [6, 7], // later records still processed
    ]);
    const letters = await listDeadLetters('consumer');
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter).toMatchObject({ topology: 'consumer', functionName: 'consume', batchSize: 1, attempts: 2, condition: 'RetryAttemptsExhausted' });
    expect(letter.error).toContain('cannot digest record 5');
    expect(letter.startSequenceNumber).toBe(letter.endSequenceNumber);
    expect(letter.records.map((r) => JSON.parse(Buffer.from(r.data ?? '', 'base64').toString()))).toEqual([{ key: 'k', n: 5, poison: true }]);
    // The checkpoint moved past the poison record and everything after it.
    const [checkpoint] = await listCheckpoints('consumer');
    expect(BigInt(checkpoint!.sequenceNumber) > BigInt(letter.endSequenceNumber)).toBe(true);
  });

  it('retries only the tail from the lowest record a partial batch response reports', async () => {
    const h = await setUpMapping('esm-partial', 1, { batchSize: 6 });
    await appendAll(h, records(0, 6));
    const batches: number[][] = [];
    running = await startEventSourceMappings({
      module: h.module,
      retryDelayMs: 1,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event): Promise<KinesisStreamBatchResponse> => {
        batches.push(ns(event));
        if (batches.length > 1) return { batchItemFailures: [] };
        // Records 4 and 3 failed: Lambda checkpoints before the lowest (3) and retries from it.
        const failed = event.Records.filter((_, i) => i === 4 || i === 3).reverse();
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
      },
    });
    await running.idle();
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
  });

  it('treats an empty or unknown itemIdentifier as a failure of the whole batch', async () => {
    const h = await setUpMapping('esm-bad-identifier', 1, { batchSize: 4 });
    await appendAll(h, records(0, 4));
    const batches: number[][] = [];
    const answers: KinesisStreamBatchResponse[] = [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: '12345' }] },
      { batchItemFailures: [] },
    ];
    running = await startEventSourceMappings({
      module: h.module,
      bisectBatchOnFunctionError: false,
      retryDelayMs: 1,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event) => {
        batches.push(ns(event));
        return answers[batches.length - 1] ?? {};
      },
    });
    await running.idle();
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('sends a poison record to the dead-letter store after its retries while the records around it are processed once, in order', async () => {
    const h = await setUpMapping('esm-poison', 2, { batchSize: 5, maxRetries: 2 });
    const processed: Payload[] = [];
    let poisonInvocations = 0;
    running = await startEventSourceMappings({
      module: h.module,
      retryDelayMs: 1,
      pollIntervalMs: 10,
      log: quiet,
      invoke: async (_fn, event) => {
        const payloads = payloadsOf(event);
        if (payloads.some((p) => p.poison)) {
          if (payloads.length === 1) poisonInvocations++;
          throw new Error('poison');
        }
        processed.push(...payloads);
      },
    });
    const keys = ['p', 'q', 'r'];
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < 15; n++) await append(h, { key, n, ...(key === 'q' && n === 7 ? { poison: true } : {}) });
      }),
    );
    await running.idle();

    expect(poisonInvocations).toBe(3); // the first try and maxRetries (2) retries
    const letters = await listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]!.records.map((r) => r.partitionKey)).toEqual(['q']);
    const expected = Array.from({ length: 15 }, (_, n) => n);
    for (const key of keys) {
      expect(processed.filter((p) => p.key === key).map((p) => p.n)).toEqual(key === 'q' ? expected.filter((n) => n !== 7) : expected);
    }

    // The command lists it, reading the table the environment names.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/axon-dead-letters.ts', 'consumer'], {
      env: process.env,
    });
    expect(stdout).toContain(letters[0]!.startSequenceNumber);
    expect(stdout).toContain('"poison":true');
    expect(stdout).toContain('3 attempts');
  });

  it('keeps a dead letter of a huge batch within one item, saying what it left out', async () => {
    await setUpMapping('esm-huge-letter', 1, {});
    const data = Buffer.alloc(1000, 'x').toString('base64');
    const many = Array.from({ length: 3000 }, (_, i) => ({
      sequenceNumber: String(10n ** 55n + BigInt(i)),
      partitionKey: `key-${i}`,
      data,
      approximateArrivalTimestamp: 1_700_000_000 + i,
    }));
    await putDeadLetter({
      topology: 'consumer',
      functionName: 'consume',
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/x',
      shardId: 'shardId-000000000000',
      startSequenceNumber: many[0]!.sequenceNumber,
      endSequenceNumber: many.at(-1)!.sequenceNumber,
      batchSize: many.length,
      records: many,
      attempts: 3,
      condition: 'RetryAttemptsExhausted',
      error: 'too big to fail',
    });
    const [letter] = await listDeadLetters('consumer');
    expect(letter!.batchSize).toBe(3000);
    expect(letter!.dataOmitted).toBe(true);
    expect(letter!.records.length + (letter!.recordsOmitted ?? 0)).toBe(3000);
    expect(letter!.recordsOmitted).toBeGreaterThan(0);
    expect(letter!.records[0]).toEqual(many[0]);
  });

  it('explains how to use the dead-letter command when the engines are not named', async () => {
    const env = { ...process.env };
    delete env.AXON_DYNAMODB_ENDPOINT;
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/axon-dead-letters.ts'], { env });
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('AXON_DYNAMODB_ENDPOINT') });
  });
});
