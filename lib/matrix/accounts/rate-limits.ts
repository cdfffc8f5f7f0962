// Rate limits on logging in and registering, answered with M_LIMIT_EXCEEDED and retry_after_ms.
// Logins follow Synapse's `rc_login` and its defaults, as token buckets (lib/matrix/rate-limits.ts):
// - per client address, every login request: 5 at once, then one per 333 s (rc_login.address,
//   0.003/s, burst 5), env AXON_RATE_LIMIT_LOGIN;
// - per account, successful logins: the same (rc_login.account), env AXON_RATE_LIMIT_LOGIN_ACCOUNT;
// - per account, failed attempts: 3 at once, then one per 6 s (rc_login.failed_attempts, 0.17/s,
//   burst 3), env AXON_RATE_LIMIT_LOGIN_FAILURES. Checked before the password is, counted when it
//   is wrong, whether or not the account exists (so a 429 tells nothing about existence);
//   the UIA password stage has its own buckets with the same limit, as in Synapse.
// Registration keeps a fixed window per address (AXON_RATE_LIMIT_REGISTER, 300 per 60 s; Synapse
// sets none by default). Every limit is `<count>/<seconds>` in the environment: `count` requests at
// once, refilled at `count` per `seconds` (a window of `count` for registration).
import { configuredLimit, consume, takeToken, tokenWait, type RateLimit } from '../rate-limits.ts';
import { limitExceeded, MatrixError } from '../errors.ts';

export type { RateLimit };

/** Synapse's rc_login defaults: address and account 0.003/s burst 5, failed attempts 0.17/s burst 3. */
export const LOGIN_LIMITS = {
  address: { env: 'AXON_RATE_LIMIT_LOGIN', fallback: { count: 5, windowMs: 1_667_000 } },
  account: { env: 'AXON_RATE_LIMIT_LOGIN_ACCOUNT', fallback: { count: 5, windowMs: 1_667_000 } },
  failures: { env: 'AXON_RATE_LIMIT_LOGIN_FAILURES', fallback: { count: 3, windowMs: 18_000 } },
} as const satisfies Record<string, { env: string; fallback: RateLimit }>;

export type LoginLimit = keyof typeof LOGIN_LIMITS;

export const REGISTER_LIMIT: RateLimit = { count: 300, windowMs: 60_000 };

export function loginLimit(which: LoginLimit): RateLimit {
  return configuredLimit(LOGIN_LIMITS[which].env, LOGIN_LIMITS[which].fallback);
}

/** One POST /register from `ip` (fixed window); throws M_LIMIT_EXCEEDED when the window is full. */
export async function limitRegistration(ip: string, now = Date.now()): Promise<void> {
  await consume(`register:${ip}`, configuredLimit('AXON_RATE_LIMIT_REGISTER', REGISTER_LIMIT), now);
}

/** One POST /login from `ip`. */
export async function limitLoginAddress(ip: string, now = Date.now()): Promise<void> {
  await takeToken(`login:${ip}`, loginLimit('address'), now);
}

/** A successful password check for `account` (a lower-cased user id) becomes a login only within its budget. */
export async function limitLoginAccount(account: string, now = Date.now()): Promise<void> {
  await takeToken(`login-account:${account}`, loginLimit('account'), now);
}

/** `scope`: `login` or `uia` (the UIA password stage), each with its own buckets per account. */
export type PasswordCheck = 'login' | 'uia';

/** Before checking a password of `account`: 429 while its failed attempts have used up their budget. */
export async function checkFailedAttempts(scope: PasswordCheck, account: string, now = Date.now()): Promise<void> {
  const wait = await tokenWait(`${scope}-failures:${account}`, loginLimit('failures'), now);
  if (wait > 0) throw limitExceeded(wait);
}

/** A wrong password for `account`: it uses one of the budget (never refused itself: the 403 stands). */
export async function countFailedAttempt(scope: PasswordCheck, account: string, now = Date.now()): Promise<void> {
  try {
    await takeToken(`${scope}-failures:${account}`, loginLimit('failures'), now);
  } catch (e) {
    // Already empty: the next attempt is refused by checkFailedAttempts.
    if (!(e instanceof MatrixError && e.errcode === 'M_LIMIT_EXCEEDED')) throw e;
  }
}

/**
 * Profile changes: each re-sends the user's join event in every room they are in (up to 500
 * commands), so one request is worth hundreds of writes. Synapse rate-limits a profile change once
 * with rc_message (0.2/s, burst 10); so does Axon: 10 at once, then one per 5 s
 * (AXON_RATE_LIMIT_PROFILE), 429 before anything is appended.
 */
export const PROFILE_LIMIT: RateLimit = { count: 10, windowMs: 50_000 };

export async function limitProfileChanges(userId: string, now = Date.now()): Promise<void> {
  await takeToken(`profile:${userId}`, configuredLimit('AXON_RATE_LIMIT_PROFILE', PROFILE_LIMIT), now);
}

