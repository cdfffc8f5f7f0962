// Fixed-window rate limits keyed by anything (an action and an address, an action and a user),
// answered with M_LIMIT_EXCEEDED and retry_after_ms. Each window of each key is its own counter
// item (`<key>@<window index>`), so counting a request is ONE conditional UpdateItem — "add 1 if
// below the limit" — with no read and no reset step; a refused request costs that failed update
// plus one consistent GetItem (the PState layer re-reads to tell its own condition from a race).
// The price: one small item per (key, window) that saw traffic stays in the table (no TTL on
// PState items yet). A counter is not domain state that anything replays, so it is written straight
// to its PState rather than through a depot. Limits come from the environment as
// `<count>/<seconds>` so a deployment (or a test) can tighten or loosen them.
import { commit, isConditionFailed } from '../core/pstate/index.ts';
import { limitExceeded } from './errors.ts';
import { rateLimits } from './pstates.ts';

export interface RateLimit {
  /** Requests allowed per window. */
  count: number;
  windowMs: number;
}

/** The limit in env `name` (`<count>/<seconds>`), else `fallback`. Read per request so tests can set it. */
export function configuredLimit(name: string, fallback: RateLimit): RateLimit {
  const configured = process.env[name];
  const match = configured ? /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(configured.trim()) : null;
  if (!match) return fallback;
  return { count: Number(match[1]), windowMs: Math.round(Number(match[2]) * 1000) };
}

/** Counts one request under `key`; throws M_LIMIT_EXCEEDED (with retry_after_ms) when its window is full. */
export async function consume(key: string, limit: RateLimit, now = Date.now()): Promise<void> {
  const window = Math.floor(now / limit.windowMs);
  const retryAfterMs = Math.max(1, (window + 1) * limit.windowMs - now);
  if (limit.count <= 0) throw limitExceeded(retryAfterMs);
  try {
    await commit([rateLimits.key(`${key}@${window}`).field('count').increment(1, { ifBelow: limit.count })], { maxAttempts: 2 });
  } catch (e) {
    if (isConditionFailed(e)) throw limitExceeded(retryAfterMs);
    throw e;
  }
}

/**
 * Writes a client can flood (send, state, redact, createRoom, membership, typing, receipts) share
 * one per-user budget: AXON_RATE_LIMIT_WRITES, default 300 per 10 s — 30 a second on average with
 * bursts, looser than Synapse's message default so busy clients and test suites are not throttled.
 */
export const DEFAULT_WRITE_LIMIT: RateLimit = { count: 300, windowMs: 10_000 };

export function writeLimit(): RateLimit {
  return configuredLimit('AXON_RATE_LIMIT_WRITES', DEFAULT_WRITE_LIMIT);
}

/** Counts one write by `userId` against its budget, before anything is appended. */
export async function limitWrites(userId: string, now = Date.now()): Promise<void> {
  await consume(`writes:${userId}`, writeLimit(), now);
}
