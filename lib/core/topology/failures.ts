// Which failures of a topology are worth retrying. A record that fails the same way every time
// (invalid for its schema, an item DynamoDB refuses to hold) would be retried until Lambda gives
// up, holding back every later record of its shard meanwhile: it becomes a recorded rejection at
// once. Only failures that may pass on a later try (throttling, network, conditional races, a
// service error) are retried with backoff. A failure of unknown kind is retried too (and
// dead-lettered after the bounded retries): dropping a record for a failure that might have
// passed loses a write, while retrying a deterministic one only delays its shard. An application's
// error may declare itself deterministic (`deterministic: true`: the same input, refused again),
// and name what its appender is told (`toAckError()`, as a Rejection does).
import type { AckError } from '../ack.ts';

export type FailureClass = 'deterministic' | 'transient';

/** Errors of Axon's core and of the AWS services whose cause is the record itself. */
const deterministicNames = new Set([
  // lib/core: a value that does not fit its PState schema, an item or commit over DynamoDB's limits.
  'SchemaViolation',
  'ItemTooLargeError',
  'TooManyWritesError',
  'ApplyTooLargeError',
  'TransactionTooLargeError',
  'DepotRecordTooLargeError',
  // A payload refused by its zod schema.
  'ZodError',
  // DynamoDB: a request it refuses whatever the state (item over 400 KB, nesting over 32 levels,
  // a key too long, an empty key attribute...); Kinesis: a record it refuses (over 1 MB).
  'ValidationException',
  'SerializationException',
  'InvalidArgumentException',
]);

/** Codes of a transaction's cancellation reasons that no retry can change. */
const deterministicReasons = new Set(['ValidationError']);

/** Whether retrying `error` could succeed. */
export function classifyFailure(error: unknown): FailureClass {
  const e = error as { name?: unknown; CancellationReasons?: { Code?: string }[] } | null | undefined;
  const name = typeof e?.name === 'string' ? e.name : undefined;
  if (name !== undefined && deterministicNames.has(name)) return 'deterministic';
  if ((error as { deterministic?: unknown } | null | undefined)?.deterministic === true) return 'deterministic';
  if (name === 'TransactionCanceledException' && (e?.CancellationReasons ?? []).some((r) => r.Code !== undefined && deterministicReasons.has(r.Code))) {
    return 'deterministic';
  }
  return 'transient';
}

const sizeFailures = new Set(['ItemTooLargeError', 'DepotRecordTooLargeError']);

/**
 * What the appender of a record that failed deterministically is told (undefined when the failure
 * is transient: the record is retried instead). 413 when the record is too big to store, else 400.
 */
export function deterministicRejection(error: unknown): AckError | undefined {
  if (classifyFailure(error) !== 'deterministic') return undefined;
  const own = (error as { toAckError?: unknown }).toAckError;
  if (typeof own === 'function') return (own as () => AckError).call(error);
  const name = (error as { name?: string }).name ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: DETERMINISTIC_FAILURE,
    message: `the request cannot be stored (${name}: ${message.slice(0, 300)})`,
    status: sizeFailures.has(name) ? 413 : 400,
  };
}

/** The ack error code of a record rejected for a deterministic failure. */
export const DETERMINISTIC_FAILURE = 'AXON_CANNOT_APPLY';
