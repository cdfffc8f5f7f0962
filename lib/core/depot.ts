// Depot appends: every write of the application enters a depot (one Kinesis stream) as a JSON
// envelope. Records of one partition key keep their order: that order is what topologies apply.
import {
  PutRecordCommand,
  PutRecordsCommand,
  ProvisionedThroughputExceededException,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { kinesisClient } from './aws-clients.ts';
import { depotPartitions, depotStreamName } from './environment.ts';
import { laneOf, partitionHashKey, partitionKinesisKey, partitionOf } from './partitions.ts';
import { backoffDelay, sleep } from './backoff.ts';

/**
 * What a depot record holds, serialized as JSON in the Kinesis record's data:
 * - `v`: envelope version, always 1 (a reader rejects what it does not know);
 * - `requestId`: the record's idempotency key (records with the same one apply once): set when the
 *   appender waits for the topology's outcome (append with ack), or when a topology's follow-up
 *   append must stay one command however often the record that causes it is redelivered;
 * - `kind`: optional discriminator of the payload (e.g. "message", "join"), for the topology;
 * - `key`: the partition key (room id, user id), when the depot is partitioned and the Kinesis
 *   partition key names the partition instead (lib/core/partitions.ts);
 * - `payload`: the application's record, any JSON value.
 */
export interface DepotEnvelope<T = unknown> {
  v: 1;
  requestId?: string;
  kind?: string;
  key?: string;
  payload: T;
}

export interface DepotAppend {
  /** The entity that orders (room id, user id): records with one key are read in append order. */
  partitionKey: string;
  /** The payload; must be JSON-serializable. */
  data: unknown;
  kind?: string;
  requestId?: string;
}

export interface AppendedRecord {
  partitionKey: string;
  shardId: string;
  /** What orders the record for a stream topology (lib/core/partitions.ts). */
  lane: string;
  sequenceNumber: string;
  requestId?: string;
}

/** Kinesis' limit on one record: data plus partition key, in bytes. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Kinesis' limits on one PutRecords request. */
export const MAX_RECORDS_PER_REQUEST = 500;
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const MAX_PARTITION_KEY_CHARS = 256;

export class DepotRecordTooLargeError extends Error {
  constructor(
    readonly depot: string,
    readonly partitionKey: string,
    readonly bytes: number,
  ) {
    super(`record for depot "${depot}" (partition key "${partitionKey}") is ${bytes} bytes; Kinesis accepts at most ${MAX_RECORD_BYTES}`);
    this.name = 'DepotRecordTooLargeError';
  }
}

/** Some records could not be appended after all retries; `appended` holds those that were. */
export class DepotAppendError extends Error {
  constructor(
    readonly depot: string,
    readonly failed: { record: DepotAppend; errorCode?: string; errorMessage?: string }[],
    readonly appended: (AppendedRecord | undefined)[],
  ) {
    const first = failed[0];
    super(`${failed.length} record(s) not appended to depot "${depot}" after retries (${first?.errorCode ?? 'unknown'}: ${first?.errorMessage ?? ''})`);
    this.name = 'DepotAppendError';
  }
}

export interface AppendOptions {
  /** Attempts per record before giving up (throttling and internal failures are retried). */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt with full jitter, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

interface Encoded {
  index: number;
  record: DepotAppend;
  data: Uint8Array;
  bytes: number;
  /** Where Kinesis puts it: the partition's key and hash key, or the record's own partition key. */
  kinesisKey: string;
  hashKey?: string;
}

export function encodeEnvelope(record: DepotAppend, partitioned = false): Uint8Array {
  const envelope: DepotEnvelope = { v: 1, payload: record.data };
  if (record.requestId !== undefined) envelope.requestId = record.requestId;
  if (record.kind !== undefined) envelope.kind = record.kind;
  if (partitioned) envelope.key = record.partitionKey;
  const json = JSON.stringify(envelope);
  if (json === undefined) throw new TypeError('depot record data is not JSON-serializable');
  return Buffer.from(json, 'utf8');
}

function encode(depot: string, record: DepotAppend, index: number, partitions: number | undefined): Encoded {
  if (!record.partitionKey || [...record.partitionKey].length > MAX_PARTITION_KEY_CHARS) {
    throw new RangeError(`partition key must be 1..${MAX_PARTITION_KEY_CHARS} characters (depot "${depot}")`);
  }
  const partition = partitions === undefined ? undefined : partitionOf(record.partitionKey, partitions);
  const kinesisKey = partition === undefined ? record.partitionKey : partitionKinesisKey(partition);
  const data = encodeEnvelope(record, partition !== undefined);
  const bytes = data.byteLength + Buffer.byteLength(kinesisKey, 'utf8');
  if (bytes > MAX_RECORD_BYTES) throw new DepotRecordTooLargeError(depot, record.partitionKey, bytes);
  return { index, record, data, bytes, kinesisKey, ...(partition !== undefined ? { hashKey: partitionHashKey(partition, partitions!) } : {}) };
}

function backoff(attempt: number, options: AppendOptions): number {
  return backoffDelay(attempt, { baseMs: options.baseDelayMs ?? 50, maxMs: options.maxDelayMs ?? 2000 });
}

/** Append one record with PutRecord. */
export async function appendRecord(depot: string, record: DepotAppend, options: AppendOptions = {}): Promise<AppendedRecord> {
  const [appended] = await appendToDepot(depot, [record], options);
  return appended!;
}

/**
 * Append records, returning their positions in input order.
 *
 * Order per partition key: Kinesis does not order the entries of one PutRecords request when some
 * of them fail (a later entry may land while an earlier one is throttled). So each request holds
 * at most ONE pending record per partition key: the oldest one not yet appended. A key's next
 * record is sent only after its predecessor landed, so a retried record can never be overtaken by
 * a later record of its key, and nothing is sent twice on purpose. Records of different keys share
 * requests (up to 500 records / 5 MB each). The cost: n records of one key take n requests; an
 * appender of bulk same-key data should aggregate it into fewer records.
 *
 * Failed entries (throttling, internal failures) are retried with exponential backoff and full
 * jitter; after `maxAttempts` a DepotAppendError lists what was not appended. A record over 1 MB
 * fails with DepotRecordTooLargeError before anything is sent.
 */
export async function appendToDepot(depot: string, records: DepotAppend[], options: AppendOptions = {}): Promise<AppendedRecord[]> {
  const streamName = depotStreamName(depot);
  const partitions = depotPartitions(depot);
  const encoded = records.map((r, i) => encode(depot, r, i, partitions));
  const results: (AppendedRecord | undefined)[] = new Array(records.length);
  const maxAttempts = options.maxAttempts ?? 8;

  // One queue per partition key, in input order; `attempts` counts failures of each queue's head.
  const queues = new Map<string, Encoded[]>();
  for (const e of encoded) {
    const q = queues.get(e.record.partitionKey);
    if (q) q.push(e);
    else queues.set(e.record.partitionKey, [e]);
  }
  const attempts = new Map<string, number>();
  const lastErrors = new Map<string, { errorCode?: string; errorMessage?: string }>();

  while (queues.size > 0) {
    const heads = [...queues.values()].map((q) => q[0]!);
    let throttled = false;
    for (const chunk of chunks(heads)) {
      const outcomes = await put(streamName, chunk);
      chunk.forEach((e, i) => {
        const outcome = outcomes[i]!;
        const key = e.record.partitionKey;
        if ('sequenceNumber' in outcome) {
          results[e.index] = {
            partitionKey: key,
            shardId: outcome.shardId,
            lane: laneOf(outcome.shardId, e.kinesisKey, partitions !== undefined),
            sequenceNumber: outcome.sequenceNumber,
            ...(e.record.requestId !== undefined ? { requestId: e.record.requestId } : {}),
          };
          const q = queues.get(key)!;
          q.shift();
          if (q.length === 0) queues.delete(key);
          attempts.delete(key);
        } else {
          throttled = true;
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          lastErrors.set(key, outcome);
        }
      });
    }
    const exhausted = [...attempts.entries()].filter(([, n]) => n >= maxAttempts).map(([k]) => k);
    if (exhausted.length > 0) {
      const failed = exhausted.flatMap((k) => queues.get(k)!.map((e) => ({ record: e.record, ...lastErrors.get(k) })));
      throw new DepotAppendError(depot, failed, results);
    }
    if (throttled) await sleep(backoff(Math.max(...attempts.values()) - 1, options));
  }
  return results as AppendedRecord[];
}

/** Split into PutRecords-sized requests (≤500 records, ≤5 MB). */
function* chunks(entries: Encoded[]): Generator<Encoded[]> {
  let current: Encoded[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length === MAX_RECORDS_PER_REQUEST || bytes + e.bytes > MAX_REQUEST_BYTES) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) yield current;
}

type PutOutcome = { shardId: string; sequenceNumber: string } | { errorCode?: string; errorMessage?: string };

async function put(streamName: string, chunk: Encoded[]): Promise<PutOutcome[]> {
  try {
    if (chunk.length === 1) {
      const e = chunk[0]!;
      const out = await kinesisClient().send(
        new PutRecordCommand({ StreamName: streamName, PartitionKey: e.kinesisKey, ExplicitHashKey: e.hashKey, Data: e.data }),
      );
      return [{ shardId: out.ShardId!, sequenceNumber: out.SequenceNumber! }];
    }
    const entries: PutRecordsRequestEntry[] = chunk.map((e) => ({ PartitionKey: e.kinesisKey, ExplicitHashKey: e.hashKey, Data: e.data }));
    const out = await kinesisClient().send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
    return chunk.map((_, i) => {
      const r = out.Records?.[i];
      return r?.SequenceNumber && !r.ErrorCode
        ? { shardId: r.ShardId!, sequenceNumber: r.SequenceNumber }
        : { errorCode: r?.ErrorCode ?? 'MissingResult', errorMessage: r?.ErrorMessage };
    });
  } catch (err) {
    // A whole request throttled (after the SDK's own retries) fails every entry of it: retry them.
    if (err instanceof ProvisionedThroughputExceededException || isRetryable(err)) {
      const outcome = { errorCode: (err as Error).name, errorMessage: (err as Error).message };
      return chunk.map(() => outcome);
    }
    throw err;
  }
}

function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return (
    e.name === 'InternalFailure' ||
    e.name === 'KMSThrottlingException' ||
    e.$retryable !== undefined ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
}
