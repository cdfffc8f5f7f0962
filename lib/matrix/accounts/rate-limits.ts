// Per-IP rate limits on login and registration (fixed windows), answered with M_LIMIT_EXCEEDED
// and retry_after_ms. A counter is not domain state that anything replays or reads back, so it is
// written straight to its PState rather than through a depot. Limits come from the environment
// (`AXON_RATE_LIMIT_<ACTION>` = `<count>/<seconds>`) so a deployment can tighten them; the
// defaults are loose enough for test suites that register many users from one address.
import { commit, isConditionFailed } from '../../core/pstate/index.ts';
import { limitExceeded } from '../errors.ts';
import { rateLimits } from '../pstates.ts';

export type RateLimitedAction = 'login' | 'register';

export interface RateLimit {
  count: number;
  windowMs: number;
}

const defaults: Record<RateLimitedAction, RateLimit> = {
  login: { count: 300, windowMs: 60_000 },
  register: { count: 300, windowMs: 60_000 },
};

export function rateLimitOf(action: RateLimitedAction): RateLimit {
  const configured = process.env[`AXON_RATE_LIMIT_${action.toUpperCase()}`];
  const match = configured ? /^(\d+)\/(\d+)$/.exec(configured) : null;
  if (!match) return defaults[action];
  return { count: Number(match[1]), windowMs: Number(match[2]) * 1000 };
}

/** Counts one request of `action` from `ip`; throws M_LIMIT_EXCEEDED when the window is full. */
export async function limitByIp(action: RateLimitedAction, ip: string, now = Date.now()): Promise<void> {
  const limit = rateLimitOf(action);
  const windowStart = now - (now % limit.windowMs);
  const refuse = () => limitExceeded(Math.max(1, windowStart + limit.windowMs - now));
  const counter = rateLimits.key(`${action}:${ip}`);
  const current = await counter.get({ consistent: true });
  if (current?.windowStart === windowStart && (current.count ?? 0) >= limit.count) throw refuse();
  try {
    // The first request of a window starts it afresh.
    await commit([counter.set({ windowStart, count: 1 }, { ifBelow: windowStart, field: 'windowStart' })]);
    return;
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
  }
  try {
    await commit([counter.field('count').increment(1, { ifBelow: limit.count })]);
  } catch (e) {
    if (isConditionFailed(e)) throw refuse();
    throw e;
  }
}
