// Append with ack: the appender tags a record with a request id, and the topology that applies it
// records the outcome under `$ack#<requestId>`; the appender waits (bounded) for that item. This is
// what gives an HTTP handler read-your-writes: once the outcome is there, the state is written.
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './aws-clients.ts';
import { appendRecord, appendToDepot, type AppendOptions } from './depot.ts';
import { tableName } from './environment.ts';
import { decodeJsonText, encodeJsonText } from './pstate/codec.ts';
import { itemId } from './pstate/location.ts';
import { batchGetItems } from './pstate/reads.ts';
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
      // As JSON text: an outcome may carry client JSON (claimed keys...) of any depth (codec.ts).
      outcome: encodeJsonText(outcome),
      topology,
      recordedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + ACK_TTL_SECONDS,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/**
 * Outcomes this process saw committed (by applyOnce's transaction): the stream wrapper's follow-up
 * put of the same outcome would only fail its condition, so it is skipped (one failed PutItem per
 * command saved). Bounded: the oldest are forgotten, and a forgotten one just costs that put again.
 */
const committedOutcomes = new Set<string>();
const MAX_REMEMBERED_OUTCOMES = 1000;

/** Note that the outcome item of `requestId` exists (it was just committed or found). */
export function noteOutcomeRecorded(requestId: string): void {
  committedOutcomes.add(requestId);
  if (committedOutcomes.size > MAX_REMEMBERED_OUTCOMES) committedOutcomes.delete(committedOutcomes.values().next().value!);
}

/**
 * Record the outcome of a request. The first recorded outcome wins: a redelivered record, applied
 * again after later state changes, may compute a different outcome, and the appender must not see
 * its answer flip. So the put is conditional on the item being absent, and a lost race is fine.
 */
export async function recordAckOutcome(requestId: string, outcome: AckOutcome, topology: string): Promise<void> {
  if (committedOutcomes.delete(requestId)) return;
  try {
    await documentClient().send(new PutCommand(outcomePut(requestId, outcome, topology)));
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
}

/**
 * Read a recorded outcome, or undefined if there is none yet. Consistent by default; an eventually
 * consistent read (half the read units) may miss a just-recorded outcome but never returns a wrong
 * one: an outcome item is written once and never changed.
 */
export async function readAckOutcome<T = unknown>(requestId: string, consistent = true): Promise<AckOutcome<T> | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: ackKey(requestId), ConsistentRead: consistent }),
  );
  return Item ? (decodeJsonText(Item.outcome) as AckOutcome<T>) : undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Smallest poll delay; the first poll waits the expected latency (see `ackPollDelays`). */
  initialPollIntervalMs?: number;
  maxPollIntervalMs?: number;
}

/**
 * How long outcomes of each depot took to appear, learned from this process' own waits (a Lambda
 * container serves many requests): the first poll is made when the outcome is expected, not at once.
 */
const expectedLatencyMs = new Map<string, number>();

/** The learned expected latency of a depot's outcomes (undefined before the first wait). */
export function expectedAckLatencyMs(depot: string): number | undefined {
  return expectedLatencyMs.get(depot);
}

/**
 * The next estimate from one wait: found at `foundMs` after the append, the last poll that missed
 * at `missedMs` (undefined when the first poll found it). The outcome appeared between the two, so
 * their middle is the sample, blended into the estimate. Found at the first poll, it appeared some
 * time before: only an upper bound is known, so the estimate moves a quarter of the way down at
 * once. A slow spell (a cold start, a burst) is forgotten within a few sends instead of making
 * every send wait for its first poll long after the outcome is there; an estimate too low costs
 * a poll that misses (half a read unit), one too high the latency of a send.
 */
export function nextLatencyEstimate(previous: number | undefined, foundMs: number, missedMs?: number): number {
  if (missedMs === undefined) return previous === undefined ? foundMs * 0.75 : Math.min(previous, foundMs) * 0.75;
  const sample = (missedMs + foundMs) / 2;
  return previous === undefined ? sample : previous * 0.7 + sample * 0.3;
}

/**
 * Delays between polls: the first at the expected latency (or `initial` before any is known), the
 * next ones from a quarter of it, growing ×1.5 up to `max`. An estimate within a quarter of the
 * actual latency finds most outcomes at the first or second poll.
 */
export function* ackPollDelays(expectedMs: number | undefined, initial = 20, max = 250): Generator<number> {
  const first = expectedMs === undefined ? initial : Math.min(2_000, Math.max(initial, expectedMs));
  yield first;
  let interval = Math.min(max, Math.max(initial, expectedMs === undefined ? initial * 1.5 : expectedMs / 4));
  for (;;) {
    yield interval;
    interval = Math.min(max, interval * 1.5);
  }
}

/**
 * Wait for the outcome of `requestId` (appended at `appendedAt`) by polling it with GetItem on the
 * schedule of `ackPollDelays`. Polls are eventually consistent reads (0.5 read units each): a found
 * outcome is final, and one that a poll misses is found by the next. Before giving up, one strongly
 * consistent read, so a timeout is never declared on a stale read. When the expected latency is
 * right this costs one or two reads per command (it cost 3 at 20 ms, 30, 45… from the append on,
 * ~8 at AWS's few hundred milliseconds). Throws AckTimeoutError.
 */
export async function waitForAck<T = unknown>(
  depot: string,
  requestId: string,
  options: WaitOptions,
  appendedAt = Date.now(),
): Promise<AckOutcome<T>> {
  const deadline = Date.now() + options.timeoutMs;
  const delays = ackPollDelays(expectedLatencyMs.get(depot), options.initialPollIntervalMs ?? 20, options.maxPollIntervalMs ?? 250);
  let missedAt: number | undefined;
  for (;;) {
    const delay = delays.next().value!;
    const left = deadline - Date.now();
    const last = left <= delay;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(left, delay))));
    const outcome = await readAckOutcome<T>(requestId, last);
    const elapsed = Date.now() - appendedAt;
    if (outcome) {
      expectedLatencyMs.set(depot, nextLatencyEstimate(expectedLatencyMs.get(depot), elapsed, missedAt));
      return outcome;
    }
    if (last) throw new AckTimeoutError(depot, requestId, options.timeoutMs);
    missedAt = elapsed;
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
  const appendedAt = Date.now();
  const timeoutMs = Math.max(0, options.timeoutMs - (appendedAt - started));
  try {
    return await waitForAck<T>(depot, requestId, { ...options, timeoutMs }, appendedAt);
  } catch (e) {
    if (e instanceof AckTimeoutError) throw new AckTimeoutError(depot, requestId, options.timeoutMs);
    throw e;
  }
}

/**
 * Append many records, each tagged with its own request id, and wait for all their outcomes: the
 * records go out in PutRecords requests (500 a request) and the outcomes are polled together with
 * BatchGetItem (100 keys a request), on `ackPollDelays`' schedule, one request at a time. So n
 * commands cost about n/500 appends and n/100 reads a poll, with one AWS request in flight,
 * instead of n appends and n polling loops at once — one request that fans out to thousands of
 * entities cannot take over the process' connections. The outcomes come back in the records'
 * order; one still missing at the deadline is `undefined` (the caller decides what a partial
 * answer means).
 */
export async function appendManyWithAck<T = unknown>(
  depot: string,
  records: readonly { partitionKey: string; data: unknown; kind?: string }[],
  options: AppendOptions & WaitOptions,
): Promise<(AckOutcome<T> | undefined)[]> {
  // Dense, not `new Array(n)`: a hole (no outcome) would be skipped by the caller's map and forEach,
  // and a command that was never applied read as nothing to report (an admin's failed media
  // deletion once answered 200 with an empty list so).
  const outcomes: (AckOutcome<T> | undefined)[] = Array.from({ length: records.length }, () => undefined);
  if (records.length === 0) return outcomes;
  const started = Date.now();
  const tagged = records.map((r) => ({ ...r, requestId: newRequestId() }));
  await appendToDepot(depot, tagged, options);
  const appendedAt = Date.now();
  const deadline = started + options.timeoutMs;
  const delays = ackPollDelays(expectedLatencyMs.get(depot), options.initialPollIntervalMs ?? 20, options.maxPollIntervalMs ?? 250);
  let pending = tagged.map((r, i) => ({ i, requestId: r.requestId }));
  let missedAt: number | undefined;
  while (pending.length > 0) {
    const delay = delays.next().value!;
    const left = deadline - Date.now();
    const last = left <= delay;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(left, delay))));
    const items = await batchGetItems(
      pending.map((p) => ackKey(p.requestId)),
      { consistent: last },
    );
    const elapsed = Date.now() - appendedAt;
    pending = pending.filter((p) => {
      const item = items.get(itemId(ackKey(p.requestId)));
      if (!item) return true;
      outcomes[p.i] = decodeJsonText(item.outcome) as AckOutcome<T>;
      return false;
    });
    if (pending.length === 0) expectedLatencyMs.set(depot, nextLatencyEstimate(expectedLatencyMs.get(depot), elapsed, missedAt));
    else missedAt = elapsed;
    if (last) break;
  }
  return outcomes;
}
