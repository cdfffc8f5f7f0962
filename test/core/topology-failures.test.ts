// Failures of topologies, classified (lib/core/topology/failures.ts): a record that fails the same
// way every time becomes a recorded rejection at once, and its shard goes on; only failures that a
// retry may change stop the batch. Errors come from the real engines where they can, so the
// classifier sees the shapes AWS's SDK gives.
import type { KinesisStreamEvent } from 'aws-lambda';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { newRequestId, readAckOutcome } from '../../lib/core/ack.ts';
import { documentClient } from '../../lib/core/aws-clients.ts';
import { appendToDepot } from '../../lib/core/depot.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { ItemTooLargeError, SchemaViolation } from '../../lib/core/pstate/index.ts';
import { listShards, readShard } from '../../lib/core/replay.ts';
import type { TableWrite } from '../../lib/core/table-writes.ts';
import { classifyFailure, deterministicRejection } from '../../lib/core/topology/failures.ts';
import { microbatchTopology, readCheckpoint } from '../../lib/core/topology/microbatch.ts';
import { invocationContext, kinesisEvent, type DepotRecord } from '../../lib/core/topology/records.ts';
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { counterKey, setUpDepot, tableItems } from './topology-fixtures.ts';

let streamArn: string;

/** A DynamoDB map nested `depth` levels: DynamoDB refuses more than 32. */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) v = { n: v };
  return v;
}

async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

/** The records of the depot's shard whose partition key starts with `prefix`, as one event. */
async function shardEvent(prefix: string): Promise<KinesisStreamEvent> {
  const stream = depotStreamName('jobs');
  const [shard] = await listShards(stream);
  const records = [];
  for await (const batch of readShard(stream, shard!.ShardId!, 1000)) records.push(...batch);
  const event = kinesisEvent(records, { shardId: shard!.ShardId!, streamArn });
  return { Records: event.Records.filter((r) => r.kinesis.partitionKey.startsWith(prefix)) };
}

interface Job {
  /** `deep`: a write DynamoDB refuses; `throttled`: a failure a retry may pass; else a plain write. */
  mode?: 'deep' | 'throttled';
  amount: number;
}

class Throttled extends Error {
  override name = 'ProvisionedThroughputExceededException';
}

/** The write a job makes: an ADD to its key's counter, or an item DynamoDB refuses (too deep). */
function writeOf(record: DepotRecord<Job>, key = record.partitionKey): TableWrite {
  if (record.payload.mode === 'deep') return { Put: { TableName: tableName(), Item: { ...counterKey(key), deep: nested(40) } } };
  return {
    Update: {
      TableName: tableName(),
      Key: counterKey(key),
      UpdateExpression: 'ADD #total :amount, #records :one',
      ExpressionAttributeNames: { '#total': 'total', '#records': 'records' },
      ExpressionAttributeValues: { ':amount': record.payload.amount, ':one': 1 },
    },
  };
}

async function totals(prefix: string): Promise<Record<string, number>> {
  const items = (await tableItems()).filter((i) => String(i.pk).startsWith(`counter#${prefix}`));
  return Object.fromEntries(items.filter((i) => i.total !== undefined).map((i) => [String(i.pk).slice('counter#'.length), i.total as number]));
}

describe('failure classification', () => {
  beforeAll(async () => {
    ({ streamArn } = await setUpDepot('topology-failures', 'jobs', 1));
  });

  it('calls what DynamoDB refuses whatever the state deterministic, races and throttling transient', async () => {
    const table = tableName();
    const tooDeep = await caught(() => documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'c', sk: 'deep', v: nested(40) } })));
    expect((tooDeep as Error).name).toBe('ValidationException');
    expect(classifyFailure(tooDeep)).toBe('deterministic');
    const tooDeepInTransaction = await caught(() =>
      documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: 'c', sk: 'ok', v: 1 } } },
            { Put: { TableName: table, Item: { pk: 'c', sk: 'deep', v: nested(40) } } },
          ],
        }),
      ),
    );
    expect(classifyFailure(tooDeepInTransaction)).toBe('deterministic');
    const longKey = await caught(() => documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'c', sk: 'k'.repeat(1100) } })));
    expect(classifyFailure(longKey)).toBe('deterministic');

    await documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'c', sk: 'exists' } }));
    const condition = { ConditionExpression: 'attribute_not_exists(pk)' };
    const race = await caught(() => documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'c', sk: 'exists' }, ...condition })));
    expect((race as Error).name).toBe('ConditionalCheckFailedException');
    expect(classifyFailure(race)).toBe('transient');
    const raceInTransaction = await caught(() =>
      documentClient().send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: table, Item: { pk: 'c', sk: 'exists' }, ...condition } }] })),
    );
    expect((raceInTransaction as Error).name).toBe('TransactionCanceledException');
    expect(classifyFailure(raceInTransaction)).toBe('transient');

    expect(classifyFailure(new SchemaViolation('x'))).toBe('deterministic');
    expect(classifyFailure(new ItemTooLargeError({ pk: 'p', sk: 's' }, 500_000))).toBe('deterministic');
    expect(deterministicRejection(new ItemTooLargeError({ pk: 'p', sk: 's' }, 500_000))).toMatchObject({ code: 'AXON_CANNOT_APPLY', status: 413 });
    expect(deterministicRejection(tooDeep)).toMatchObject({ code: 'AXON_CANNOT_APPLY', status: 400 });
    // An application's error that declares itself deterministic, naming (or not) its refusal.
    const refusal = { code: 'APP_REFUSED', message: 'no', status: 403 };
    expect(deterministicRejection(Object.assign(new Error('no'), { deterministic: true, toAckError: () => refusal }))).toEqual(refusal);
    expect(deterministicRejection(Object.assign(new Error('no'), { deterministic: true }))).toMatchObject({ code: 'AXON_CANNOT_APPLY', status: 400 });
    expect(classifyFailure(Object.assign(new Error('busy'), { deterministic: false }))).toBe('transient');
    for (const transient of [new Throttled('slow down'), new Error('socket hang up'), Object.assign(new Error('x'), { name: 'ThrottlingException' }), undefined, 'text']) {
      expect(classifyFailure(transient)).toBe('transient');
      expect(deterministicRejection(transient)).toBeUndefined();
    }
  });

  it('stream: a record that cannot be applied is rejected at once, and the records after it apply in the same invocation', async () => {
    const poison = newRequestId();
    const after = newRequestId();
    await appendToDepot('jobs', [
      { partitionKey: 'stream-a', data: { amount: 1 } },
      { partitionKey: 'stream-a', data: { amount: 0, mode: 'deep' }, requestId: poison },
      { partitionKey: 'stream-b', data: { amount: 5 }, requestId: after },
      { partitionKey: 'stream-a', data: { amount: 2 } },
    ]);
    const calls: string[] = [];
    const handler = streamTopology<Job, string>({
      name: 'jobs',
      async handle(record) {
        calls.push(record.sequenceNumber);
        await documentClient().send(new TransactWriteCommand({ TransactItems: [writeOf(record)] }));
        return 'applied';
      },
    });
    const event = await shardEvent('stream-');
    const response = await handler(event, invocationContext('jobs'));
    expect(response.batchItemFailures).toEqual([]);
    // Each record handled once: nothing retried, nothing held back.
    expect(calls).toEqual(event.Records.map((r) => r.kinesis.sequenceNumber));
    expect(await readAckOutcome(poison)).toMatchObject({ ok: false, error: { code: 'AXON_CANNOT_APPLY', status: 400 } });
    expect(await readAckOutcome(after)).toEqual({ ok: true, value: 'applied' });
    expect(await totals('stream-')).toEqual({ 'stream-a': 3, 'stream-b': 5 });
  });

  it('stream: a failure a retry may pass still stops the batch at its record', async () => {
    const waiting = newRequestId();
    await appendToDepot('jobs', [
      { partitionKey: 'busy-a', data: { amount: 1 } },
      { partitionKey: 'busy-a', data: { amount: 2, mode: 'throttled' }, requestId: waiting },
      { partitionKey: 'busy-b', data: { amount: 4 } },
    ]);
    const handler = streamTopology<Job, string>({
      name: 'jobs',
      async handle(record) {
        if (record.payload.mode === 'throttled') throw new Throttled('Rate of requests exceeds the allowed throughput');
        await documentClient().send(new TransactWriteCommand({ TransactItems: [writeOf(record)] }));
        return 'applied';
      },
    });
    const event = await shardEvent('busy-');
    // (Records of different keys may land in either order; the throttled one follows busy-a's first.)
    const at = event.Records.findIndex((r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()) as { payload: Job }).payload.mode === 'throttled');
    const response = await handler(event, invocationContext('jobs'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[at]!.kinesis.sequenceNumber }]);
    expect(await readAckOutcome(waiting)).toBeUndefined();
    const appliedBefore = event.Records.slice(0, at).map((r) => r.kinesis.partitionKey);
    expect(await totals('busy-')).toEqual(appliedBefore.includes('busy-b') ? { 'busy-a': 1, 'busy-b': 4 } : { 'busy-a': 1 });
  });

  it('microbatch: a batch holding a record that cannot be applied commits the others record by record, once', async () => {
    const poison = newRequestId();
    await appendToDepot('jobs', [
      { partitionKey: 'fold-a', data: { amount: 1 } },
      { partitionKey: 'fold-b', data: { amount: 10 } },
      { partitionKey: 'fold-c', data: { amount: 0, mode: 'deep' }, requestId: poison },
      { partitionKey: 'fold-a', data: { amount: 2 } },
    ]);
    const folds: number[] = [];
    const handler = microbatchTopology<Job>({
      name: 'fold-jobs',
      async fold(records) {
        folds.push(records.length);
        // One write per key (aggregated), the bad record's whole.
        const sums = new Map<string, DepotRecord<Job>>();
        const writes: TableWrite[] = [];
        for (const r of records) {
          if (r.payload.mode === 'deep') writes.push(writeOf(r));
          else {
            const seen = sums.get(r.partitionKey);
            sums.set(r.partitionKey, seen ? { ...r, payload: { amount: seen.payload.amount + r.payload.amount } } : r);
          }
        }
        for (const r of sums.values()) writes.push(writeOf(r));
        return { writes };
      },
    });
    const event = await shardEvent('fold-');
    expect(await handler(event, invocationContext('fold-jobs'))).toEqual({ batchItemFailures: [] });
    // The whole batch once, then each record alone; no retry of the batch.
    expect(folds).toEqual([4, 1, 1, 1, 1]);
    expect(await totals('fold-')).toEqual({ 'fold-a': 3, 'fold-b': 10 });
    expect(await readAckOutcome(poison)).toMatchObject({ ok: false, error: { code: 'AXON_CANNOT_APPLY' } });
    const [shardId] = event.Records[0]!.eventID.split(':');
    expect(await readCheckpoint('fold-jobs', shardId!)).toBe(event.Records.at(-1)!.kinesis.sequenceNumber);
    // Redelivered, the batch is past the checkpoint: nothing applies twice.
    await handler(event, invocationContext('fold-jobs'));
    expect(folds).toHaveLength(5);
    expect(await totals('fold-')).toEqual({ 'fold-a': 3, 'fold-b': 10 });
  });
});
