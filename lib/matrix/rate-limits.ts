// Rate limits keyed by anything (an action and an address, an action and a user), answered with
// M_LIMIT_EXCEEDED and retry_after_ms: fixed windows for the hot paths, token buckets below. Each window of each key is its own counter
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

/**
 * Counts `cost` units (default one request) under `key`; throws M_LIMIT_EXCEEDED (with
 * retry_after_ms) when they do not fit in what is left of the window.
 */
export async function consume(key: string, limit: RateLimit, now = Date.now(), cost = 1): Promise<void> {
  const window = Math.floor(now / limit.windowMs);
  const retryAfterMs = Math.max(1, (window + 1) * limit.windowMs - now);
  if (limit.count <= 0 || cost > limit.count) throw limitExceeded(retryAfterMs);
  try {
    // "count + cost ≤ limit" as "count < limit - cost + 1": one conditional update, no read.
    await commit([rateLimits.key(`${key}@${window}`).field('count').increment(cost, { ifBelow: limit.count - cost + 1 })], { maxAttempts: 2 });
  } catch (e) {
    if (isConditionFailed(e)) throw limitExceeded(retryAfterMs);
    throw e;
  }
}

/**
 * Token buckets (Synapse's limiter: `count` requests at once, then one every windowMs / count),
 * kept as GCRA: one number per key, the theoretical arrival time `tat` of the next request.
 * A request at `now` fits when tat - now <= tolerance (windowMs minus one interval); it moves
 * tat to max(tat, now) + interval. That is two conditional UpdateItems at most, no read: "reset
 * if idle" (tat <= now), else "add an interval if a token is left". A refused request costs one
 * consistent GetItem more, for its retry_after_ms.
 */
function bucket(limit: RateLimit): { interval: number; tolerance: number } {
  const interval = Math.ceil(limit.windowMs / Math.max(1, limit.count));
  return { interval, tolerance: limit.windowMs - interval };
}

const bucketItem = (key: string) => rateLimits.key(`bucket:${key}`);

async function applied(op: Parameters<typeof commit>[0][number]): Promise<boolean> {
  try {
    await commit([op], { maxAttempts: 2 });
    return true;
  } catch (e) {
    if (isConditionFailed(e)) return false;
    throw e;
  }
}

/** How long until the bucket under `key` has a token (0: it has one now). One consistent GetItem. */
export async function tokenWait(key: string, limit: RateLimit, now = Date.now()): Promise<number> {
  if (limit.count <= 0) return limit.windowMs;
  const tat = (await bucketItem(key).get({ consistent: true }))?.tat;
  const { tolerance } = bucket(limit);
  return tat === undefined || tat <= now + tolerance ? 0 : Math.ceil(tat - now - tolerance);
}

/** Takes one token from the bucket under `key`; throws M_LIMIT_EXCEEDED (with retry_after_ms) when it is empty. */
export async function takeToken(key: string, limit: RateLimit, now = Date.now()): Promise<void> {
  if (limit.count <= 0) throw limitExceeded(limit.windowMs);
  const { interval, tolerance } = bucket(limit);
  const tat = bucketItem(key).field('tat');
  // Idle (or new): the bucket is full again.
  if (await applied(tat.set(now + interval, { ifBelow: now + 1 }))) return;
  // Busy: one interval more, while a token is left.
  if (await applied(tat.increment(interval, { ifBelow: now + tolerance + 1 }))) return;
  throw limitExceeded(Math.max(1, await tokenWait(key, limit, now)));
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

/** Who writes: a user id, or the authenticated requester with a server admin's override of their limit. */
export type Writer = string | { userId: string; ratelimit?: { messagesPerSecond: number; burstCount: number } };

/**
 * Counts one write against its budget, before anything is appended. A server admin's override
 * (Synapse's override_ratelimit) replaces the budget: 0 per second is no limit, else a token
 * bucket of `burstCount` refilled at `messagesPerSecond`, as Synapse's limiter.
 */
export async function limitWrites(writer: Writer, now = Date.now()): Promise<void> {
  const { userId, ratelimit } = typeof writer === 'string' ? { userId: writer, ratelimit: undefined } : writer;
  if (!ratelimit) return consume(`writes:${userId}`, writeLimit(), now);
  if (ratelimit.messagesPerSecond === 0) return;
  const windowMs = Math.max(1, Math.round((Math.max(1, ratelimit.burstCount) * 1000) / ratelimit.messagesPerSecond));
  await takeToken(`override:${userId}`, { count: ratelimit.burstCount, windowMs }, now);
}

/**
 * Writes that fan out (a to-device send to many users, a claim of many users' keys) append one
 * command per entity: besides one unit of the write budget per request, each command counts
 * against a budget of its own, AXON_RATE_LIMIT_FAN_OUT, default 3,000 per 10 s — so a big room's
 * key share does not eat the message budget, and no user can make the server do more than that.
 * A request larger than the whole budget is charged the whole budget: it needs a window of its own.
 */
export const DEFAULT_FAN_OUT_LIMIT: RateLimit = { count: 3000, windowMs: 10_000 };

export function fanOutLimit(): RateLimit {
  return configuredLimit('AXON_RATE_LIMIT_FAN_OUT', DEFAULT_FAN_OUT_LIMIT);
}

/** Counts a write by `userId` that appends `commands` commands; nothing is appended when refused. */
export async function limitFanOut(userId: string, commands: number, now = Date.now()): Promise<void> {
  await limitWrites(userId, now);
  if (commands === 0) return;
  const limit = fanOutLimit();
  await consume(`fanout:${userId}`, limit, now, Math.min(commands, Math.max(1, limit.count)));
}
