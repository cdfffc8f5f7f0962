// Append with ack: the appender tags a record with a request id, and the topology that applies it
// records the outcome under `$ack#<requestId>`; the appender waits (bounded) for that item. This is
// what gives an HTTP handler read-your-writes: once the outcome is there, the state is written.
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './aws-clients.ts';
import { appendRecord, type AppendOptions } from './depot.ts';
import { tableName } from './environment.ts';
import { internalPrefixes } from './table-writes.ts';

/** A rejection as recorded for the appender: a domain error, not a failure of the topology. */
export interface AckError {
  code: string;
  message: string;
  /** An HTTP status the appender may answer with. */
  status?: number;
  data?: Record<string, unknown>;
}

export type AckOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: AckError };

/** No outcome was recorded within the wait: the topology is slow, stopped, or failing. */
export class AckTimeoutError extends Error {
  constructor(
    readonly depot: string,
    readonly requestId: string,
    readonly timeoutMs: number,
  ) {
    super(`no outcome recorded for request ${requestId} on depot "${depot}" within ${timeoutMs} ms`);
    this.name = 'AckTimeoutError';
  }
}

/** Outcome items live a day: long enough for any waiter, then DynamoDB's TTL removes them. */
export const ACK_TTL_SECONDS = 24 * 60 * 60;
const ACK_SORT_KEY = 'outcome';

/** A random, url-safe request id (128 bits). */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

export function ackKey(requestId: string): { pk: string; sk: string } {
  return { pk: `${internalPrefixes.ack}#${requestId}`, sk: ACK_SORT_KEY };
}

/** The conditional put of an outcome item: only if none is recorded yet (first outcome wins). */
export function outcomePut(requestId: string, outcome: AckOutcome, topology: string) {
  return {
    TableName: tableName(),
    Item: {
      ...ackKey(requestId),
      outcome,
      topology,
      recordedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + ACK_TTL_SECONDS,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/**
 * Record the outcome of a request. The first recorded outcome wins: a redelivered record, applied
 * again after later state changes, may compute a different outcome, and the appender must not see
 * its answer flip. So the put is conditional on the item being absent, and a lost race is fine.
 */
export async function recordAckOutcome(requestId: string, outcome: AckOutcome, topology: string): Promise<void> {
  try {
    await documentClient().send(new PutCommand(outcomePut(requestId, outcome, topology)));
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
}

/** Read a recorded outcome (consistent read), or undefined if there is none yet. */
export async function readAckOutcome<T = unknown>(requestId: string): Promise<AckOutcome<T> | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: ackKey(requestId), ConsistentRead: true }),
  );
  return Item?.outcome as AckOutcome<T> | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  /** First poll delay; grows ×1.5 per poll up to `maxPollIntervalMs`. */
  initialPollIntervalMs?: number;
  maxPollIntervalMs?: number;
}

/**
 * Wait for the outcome of `requestId` by polling with consistent GetItem at a growing interval
 * (20 ms, 30, 45, 68, 101, 152, 228, then every 250 ms). Cost: one read request unit per poll
 * (a consistent read of an item under 4 KB): an outcome recorded after 100 ms costs ~5 reads,
 * after 500 ms ~8, after 1 s ~10, and each further second 4 more. Throws AckTimeoutError.
 */
export async function waitForAck<T = unknown>(depot: string, requestId: string, options: WaitOptions): Promise<AckOutcome<T>> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.initialPollIntervalMs ?? 20;
  const maxInterval = options.maxPollIntervalMs ?? 250;
  for (;;) {
    const outcome = await readAckOutcome<T>(requestId);
    if (outcome) return outcome;
    const left = deadline - Date.now();
    if (left <= 0) throw new AckTimeoutError(depot, requestId, options.timeoutMs);
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
    interval = Math.min(maxInterval, interval * 1.5);
  }
}

export interface AppendWithAckOptions extends AppendOptions, WaitOptions {
  /** Use this request id instead of a random one (e.g. derived from a client transaction id). */
  requestId?: string;
}

/**
 * Append one record tagged with a request id, then wait for the outcome the topology records for
 * it. A rejection comes back as `{ ok: false, error }`; only a missing outcome (timeout) throws.
 */
export async function appendWithAck<T = unknown>(
  depot: string,
  record: { partitionKey: string; data: unknown; kind?: string },
  options: AppendWithAckOptions,
): Promise<AckOutcome<T>> {
  const requestId = options.requestId ?? newRequestId();
  const started = Date.now();
  await appendRecord(depot, { ...record, requestId }, options);
  const timeoutMs = Math.max(0, options.timeoutMs - (Date.now() - started));
  try {
    return await waitForAck<T>(depot, requestId, { ...options, timeoutMs });
  } catch (e) {
    if (e instanceof AckTimeoutError) throw new AckTimeoutError(depot, requestId, options.timeoutMs);
    throw e;
  }
}
