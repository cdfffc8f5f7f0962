// How Lambda reads a stream function's result (ReportBatchItemFailures on, as the stack sets it):
// no response or an empty `batchItemFailures` is a complete success; failures make the lowest
// reported record the checkpoint to retry from; an itemIdentifier that is empty, missing or not a
// sequence number of the batch makes the whole batch a failure.
// See https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html

export type BatchOutcome =
  | { kind: 'success' }
  /** Records before `firstFailed` succeeded; retry from `firstFailed` (index in the batch). */
  | { kind: 'partial'; firstFailed: number; error: string }
  /** The whole batch failed: a function error, or a response naming records not in the batch. */
  | { kind: 'failed'; error: string };

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return typeof e === 'string' ? e : JSON.stringify(e);
  } catch {
    return String(e);
  }
}

export function outcomeOfError(e: unknown): BatchOutcome {
  return { kind: 'failed', error: errorMessage(e) };
}

export function outcomeOfResponse(response: unknown, sequenceNumbers: readonly string[]): BatchOutcome {
  if (response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failed', error: 'batchItemFailures is not a list' };
  }
  if (failures.length === 0) return { kind: 'success' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? sequenceNumbers.indexOf(id) : -1;
    if (index < 0) {
      return {
        kind: 'failed',
        error: `batchItemFailures names ${JSON.stringify(id ?? null)}, which is not a sequence number of the batch`,
      };
    }
    lowest = Math.min(lowest, index);
  }
  return {
    kind: 'partial',
    firstFailed: lowest,
    error: `the function reported record ${sequenceNumbers[lowest]} as failed`,
  };
}
