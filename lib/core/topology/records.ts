// Kinesis events as Lambda delivers them, to and from typed depot records: decoding is shared by
// the stream and microbatch wrappers; building events is used by replay (and tests) to feed a
// topology exactly what its event source mapping would.
import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { _Record } from '@aws-sdk/client-kinesis';
import type { AckError } from '../ack.ts';
import { laneOf } from '../partitions.ts';
import type { Rejection } from './rejection.ts';

/** A depot record as a topology sees it: the envelope's payload plus where it sits in the depot. */
export interface DepotRecord<T = unknown> {
  payload: T;
  kind?: string;
  requestId?: string;
  /** The appender's partition key (room id, user id): the envelope's `key` in a partitioned depot. */
  partitionKey: string;
  shardId: string;
  /**
   * What orders the record (lib/core/partitions.ts): its shard and partition in a partitioned
   * depot, else its shard. A stream topology applies one lane's records one at a time, in order.
   */
  lane: string;
  /** Kinesis sequence number: a decimal string, ordered as a number (compare with BigInt). */
  sequenceNumber: string;
  /** `<shardId>:<sequenceNumber>`: unique per record, a natural idempotency key. */
  eventId: string;
  /** Epoch milliseconds. */
  arrivedAt: number;
}

/** Turns a payload into the topology's input type, throwing on invalid input (a zod schema fits). */
export interface PayloadParser<T> {
  parse(payload: unknown): T;
}

export type DecodedRecord<T> =
  | { ok: true; record: DepotRecord<T> }
  | { ok: false; source: KinesisStreamRecord; requestId?: string; error: AckError };

/** The shard of a record: Lambda's eventID is `<shardId>:<sequenceNumber>`. */
export function shardIdOf(record: KinesisStreamRecord): string {
  const i = record.eventID.lastIndexOf(':');
  return i > 0 ? record.eventID.slice(0, i) : record.eventID;
}

/** The envelope kind of a record, without decoding its payload (undefined when unreadable). */
export function envelopeKind(source: KinesisStreamRecord): string | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(source.kinesis.data, 'base64').toString('utf8')) as { kind?: unknown };
    return typeof envelope.kind === 'string' ? envelope.kind : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decode one Kinesis record. A record that is not a valid envelope, or whose payload the parser
 * refuses, is returned as a rejection (with its request id when one can be read) so that the
 * wrapper records it and moves on: retrying it could never succeed.
 */
export function decodeRecord<T>(source: KinesisStreamRecord, parser?: PayloadParser<T>): DecodedRecord<T> {
  const bad = (message: string, requestId?: string): DecodedRecord<T> => ({
    ok: false,
    source,
    ...(requestId !== undefined ? { requestId } : {}),
    error: { code: 'AXON_INVALID_RECORD', message, status: 400 },
  });
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(source.kinesis.data, 'base64').toString('utf8'));
  } catch {
    return bad('depot record is not JSON');
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return bad('depot record is not an envelope object');
  const e = envelope as Record<string, unknown>;
  const requestId = typeof e.requestId === 'string' ? e.requestId : undefined;
  if (e.v !== 1) return bad(`unknown depot envelope version ${JSON.stringify(e.v)}`, requestId);
  if (!('payload' in e)) return bad('depot envelope has no payload', requestId);
  if (e.requestId !== undefined && typeof e.requestId !== 'string') return bad('depot envelope requestId is not a string');
  if (e.kind !== undefined && typeof e.kind !== 'string') return bad('depot envelope kind is not a string', requestId);
  if (e.key !== undefined && (typeof e.key !== 'string' || e.key === '')) return bad('depot envelope key is not a partition key', requestId);
  let payload: T;
  try {
    payload = parser ? parser.parse(e.payload) : (e.payload as T);
  } catch (err) {
    // A parser that refuses with a Rejection names the error the appender gets (its errcode, status).
    const refusal = typeof (err as Partial<Rejection> | null)?.toAckError === 'function' ? (err as Rejection).toAckError() : undefined;
    if (refusal) return { ok: false, source, ...(requestId !== undefined ? { requestId } : {}), error: refusal };
    return bad(`invalid payload: ${err instanceof Error ? err.message : String(err)}`, requestId);
  }
  return {
    ok: true,
    record: {
      payload,
      ...(typeof e.kind === 'string' ? { kind: e.kind } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
      partitionKey: typeof e.key === 'string' ? e.key : source.kinesis.partitionKey,
      shardId: shardIdOf(source),
      lane: laneOf(shardIdOf(source), source.kinesis.partitionKey, typeof e.key === 'string'),
      sequenceNumber: source.kinesis.sequenceNumber,
      eventId: source.eventID,
      arrivedAt: Math.round(source.kinesis.approximateArrivalTimestamp * 1000),
    },
  };
}

/** Compare two Kinesis sequence numbers (decimal strings of up to 129 digits). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Sequence numbers have up to 129 digits, more than a DynamoDB number holds; zero-padded to a fixed
// width, string order is numeric order, so conditions in DynamoDB can compare positions.
const SEQUENCE_WIDTH = 129;

/** A sequence number as a fixed-width string whose string order is the numeric order. */
export function sequencePosition(sequenceNumber: string): string {
  if (!/^\d{1,129}$/.test(sequenceNumber)) throw new RangeError(`not a Kinesis sequence number: ${sequenceNumber}`);
  return sequenceNumber.padStart(SEQUENCE_WIDTH, '0');
}

export interface EventSource {
  shardId: string;
  /** `arn:aws:kinesis:<region>:<account>:stream/<name>`. */
  streamArn: string;
  /** Defaults to the stream ARN's region. */
  region?: string;
  /** The role the function runs as; defaults to a local role in the stream's account. */
  invokeIdentityArn?: string;
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` → account id. */
export function accountOf(streamArn: string): string {
  return streamArn.split(':')[4] || '000000000000';
}

/**
 * The Lambda Kinesis event for records read from one shard with GetRecords: field for field what
 * the event source mapping sends (checked in tests against the Powertools parser schema). Used by
 * the local mapping, replay and tests.
 */
export function kinesisEvent(records: readonly _Record[], source: EventSource): KinesisStreamEvent {
  const region = source.region ?? (source.streamArn.split(':')[3] || 'us-east-1');
  const invokeIdentityArn = source.invokeIdentityArn ?? `arn:aws:iam::${accountOf(source.streamArn)}:role/axon-local`;
  return {
    Records: records.map((r) => {
      const sequenceNumber = r.SequenceNumber ?? '';
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey ?? '',
          sequenceNumber,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${source.shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn,
        awsRegion: region,
        eventSourceARN: source.streamArn,
      };
    }),
  };
}

/** A Lambda context for invoking a handler outside Lambda (the local invoker, replay, tests). */
export function invocationContext(
  functionName: string,
  timeoutMs = 15 * 60 * 1000,
  options: { memoryMb?: number; region?: string } = {},
): Context {
  const deadline = Date.now() + timeoutMs;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
