// Per-IP rate limits on login and registration (fixed windows of lib/matrix/rate-limits.ts),
// answered with M_LIMIT_EXCEEDED and retry_after_ms. Limits come from the environment
// (`AXON_RATE_LIMIT_<ACTION>` = `<count>/<seconds>`) so a deployment can tighten them; the
// defaults are loose enough for test suites that register many users from one address.
import { configuredLimit, consume, type RateLimit } from '../rate-limits.ts';

export type RateLimitedAction = 'login' | 'register';
export type { RateLimit };

const defaults: Record<RateLimitedAction, RateLimit> = {
  login: { count: 300, windowMs: 60_000 },
  register: { count: 300, windowMs: 60_000 },
};

export function rateLimitOf(action: RateLimitedAction): RateLimit {
  return configuredLimit(`AXON_RATE_LIMIT_${action.toUpperCase()}`, defaults[action]);
}

/** Counts one request of `action` from `ip`; throws M_LIMIT_EXCEEDED when the window is full. */
export async function limitByIp(action: RateLimitedAction, ip: string, now = Date.now()): Promise<void> {
  await consume(`${action}:${ip}`, rateLimitOf(action), now);
}
