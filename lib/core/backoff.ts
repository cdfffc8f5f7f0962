// Exponential backoff, one definition for every retry loop: `base × 2^attempt` capped at `max`,
// with jitter so that writers retrying the same conflict spread apart instead of colliding again.
// 'full' draws from [0, delay) (AWS's "full jitter"), 'half' from [delay/2, delay), 'none' is exact.

export interface Backoff {
  baseMs: number;
  maxMs: number;
  jitter?: 'full' | 'half' | 'none';
}

/** The delay before retry `attempt` (0 = the first retry's base). */
export function backoffDelay(attempt: number, { baseMs, maxMs, jitter = 'full' }: Backoff, random: () => number = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  if (jitter === 'none') return delay;
  return jitter === 'half' ? delay * (0.5 + random() / 2) : delay * random();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait out the backoff of retry `attempt`. */
export function backOff(attempt: number, backoff: Backoff): Promise<void> {
  return sleep(backoffDelay(attempt, backoff));
}
