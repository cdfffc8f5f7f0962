// Small statistics helpers for latency samples.

/** The q-quantile (0..1) of the samples by the nearest-rank method; NaN when there are none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface LoadResult {
  operations: number;
  errors: number;
  elapsedMs: number;
  /** Latency of each successful operation, ms. */
  latencies: number[];
}

/**
 * Runs `operation` from `concurrency` workers until `durationMs` has passed or `maxOperations`
 * have started, whichever comes first (a bounded loop: it always ends).
 */
export async function runLoad(
  operation: (i: number) => Promise<unknown>,
  options: { concurrency: number; durationMs: number; maxOperations: number },
): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < options.maxOperations && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        await operation(i);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { operations: next, errors, elapsedMs: performance.now() - started, latencies };
}
