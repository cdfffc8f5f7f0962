// Exactly-once effects for stream topologies. A record's writes are committed in one transaction
// together with its outcome item (`$ack#<key>`, put only if absent), where the key is the record's
// request id or, for records nobody waits on, its `<shard>:<sequence number>`. A redelivered
// record therefore cannot apply twice: its transaction fails on the outcome item, and the outcome
// recorded the first time is returned instead. This is stronger than "idempotent handlers": a
// handler may compute fresh ids and positions and still never duplicate an event.
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws-clients.ts';
import { noteOutcomeRecorded, outcomePut, readAckOutcome, type AckOutcome } from '../ack.ts';
import { MAX_TRANSACTION_ITEMS, type TableWrite } from '../table-writes.ts';
import type { DepotRecord } from './records.ts';
import { Rejection } from './stream.ts';
import { backOff } from '../backoff.ts';

/** The idempotency key of a record: who waits on it, or where it sits in the depot. */
export function applyKey(record: Pick<DepotRecord, 'requestId' | 'eventId'>): string {
  return record.requestId ?? `record:${record.eventId}`;
}

/** Some other condition of the transaction failed: state changed under us; compute again. */
export class ApplyConflict extends Error {
  override name = 'ApplyConflict';
}

export class ApplyTooLargeError extends Error {
  override name = 'ApplyTooLargeError';
}

type Cancellation = { name?: string; CancellationReasons?: { Code?: string }[] };

/**
 * Commit `writes` and the outcome atomically, once per key. Returns the outcome that holds: the
 * given one when this call applied it, or the one recorded by an earlier delivery.
 */
export async function commitOnce<T>(
  key: string,
  topology: string,
  writes: readonly TableWrite[],
  outcome: AckOutcome<T>,
): Promise<{ applied: boolean; outcome: AckOutcome<T> }> {
  if (writes.length + 1 > MAX_TRANSACTION_ITEMS) {
    throw new ApplyTooLargeError(`${writes.length} writes and an outcome exceed one transaction (${MAX_TRANSACTION_ITEMS} items)`);
  }
  try {
    await documentClient().send(new TransactWriteCommand({ TransactItems: [...writes, { Put: outcomePut(key, outcome, topology) }] }));
    noteOutcomeRecorded(key);
    return { applied: true, outcome };
  } catch (err) {
    const e = err as Cancellation;
    if (e.name === 'TransactionCanceledException') {
      const reasons = e.CancellationReasons ?? [];
      if (reasons[writes.length]?.Code === 'ConditionalCheckFailed') {
        const recorded = await readAckOutcome<T>(key);
        if (recorded) return { applied: false, outcome: recorded };
      }
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) {
        throw new ApplyConflict(`transaction cancelled: ${reasons.map((r) => r.Code ?? 'None').join(', ')}`);
      }
    }
    if (e.name === 'TransactionConflictException') throw new ApplyConflict('transaction conflict');
    throw err;
  }
}

export interface ApplyPlan<T, E = never> {
  writes: readonly TableWrite[];
  value: T;
  /**
   * What the writes did, for the record's after-commit work (e.g. the events they appended), so
   * that it need not read them back. Not recorded: a redelivery that finds the outcome has none.
   */
  effects?: E;
}

/** What applying a record came to: the answer, and the plan's effects when this delivery committed them. */
export interface Applied<T, E> {
  value: T;
  /** Present only when this call committed the writes (absent for an earlier delivery's outcome). */
  effects?: E;
}

/**
 * Apply a record exactly once: `plan` reads state and returns the writes and the value to answer
 * with (or throws `Rejection`); the writes commit with the outcome. When another writer changed a
 * guarded item in between, `plan` runs again from fresh state (bounded; `attempt` counts from 1,
 * so a plan may check cheaply first and thoroughly on a retry). An earlier delivery's outcome
 * wins: a rejection recorded before is thrown again as a Rejection, so the stream wrapper records
 * (idempotently) what the appender already saw.
 */
export async function applyOnceWithEffects<T, E>(
  record: Pick<DepotRecord, 'requestId' | 'eventId'>,
  topology: string,
  plan: (attempt: number) => Promise<ApplyPlan<T, E>>,
  maxAttempts = 8,
): Promise<Applied<T, E>> {
  const key = applyKey(record);
  for (let attempt = 1; ; attempt++) {
    let planned: ApplyPlan<T, E>;
    try {
      planned = await plan(attempt);
    } catch (e) {
      if (!(e instanceof Rejection)) throw e;
      // A redelivery may be rejected now only because its first delivery changed the state:
      // the recorded outcome is the answer.
      const recorded = await readAckOutcome<T>(key);
      if (recorded?.ok) return { value: recorded.value };
      throw e;
    }
    try {
      const { applied, outcome } = await commitOnce(key, topology, planned.writes, { ok: true, value: planned.value });
      if (!outcome.ok) throw new Rejection(outcome.error.code, outcome.error.message, outcome.error.status, outcome.error.data);
      return applied && planned.effects !== undefined ? { value: outcome.value, effects: planned.effects } : { value: outcome.value };
    } catch (e) {
      if (!(e instanceof ApplyConflict) || attempt >= maxAttempts) throw e;
      await backOff(attempt, { baseMs: 10, maxMs: 500 });
    }
  }
}

/** `applyOnceWithEffects` for a plan without effects: the answer only. */
export async function applyOnce<T>(
  record: Pick<DepotRecord, 'requestId' | 'eventId'>,
  topology: string,
  plan: (attempt: number) => Promise<ApplyPlan<T>>,
  maxAttempts = 8,
): Promise<T> {
  return (await applyOnceWithEffects(record, topology, plan, maxAttempts)).value;
}
