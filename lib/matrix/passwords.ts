// Password hashing (scrypt from node:crypto) and access tokens (256-bit random, stored as
// sha256 hashes). The hash string is versioned so the parameters can be raised later.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

// 128 * N * r bytes are needed; allow twice that.
const maxmem = (N: number, r: number) => 256 * N * r;

/** `scrypt$1$<N>$<r>$<p>$<salt b64url>$<key b64url>` */
export function hashPassword(password: string): Promise<string> {
  return hashPasswordWithSalt(password, randomBytes(SCRYPT.saltLength));
}

/**
 * The same with a salt the caller derives (it must be unique to the account: a registration derives
 * it from its UIA session and user id, so that a retry of it hashes to the same string).
 */
export async function hashPasswordWithSalt(password: string, salt: Buffer): Promise<string> {
  if (salt.length < SCRYPT.saltLength) throw new Error(`a salt of at least ${SCRYPT.saltLength} bytes is needed`);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: maxmem(SCRYPT.N, SCRYPT.r) });
  return ['scrypt', '1', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a password against a stored hash; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 7 || parts[0] !== 'scrypt' || parts[1] !== '1') return false;
  const [N, r, p] = parts.slice(2, 5).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 2 ** 20) return false;
  const salt = Buffer.from(parts[5]!, 'base64url');
  const expected = Buffer.from(parts[6]!, 'base64url');
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(actual, expected);
}

/**
 * A hash no password matches (of random bytes nobody kept), with the current parameters: a login
 * for an account that does not exist, or has no password, is checked against it, so it takes as
 * long as one with a wrong password and the answer's timing does not tell whether the user exists.
 */
export const DUMMY_PASSWORD_HASH = 'scrypt$1$32768$8$1$0H0F9r3EREF95hNZkGmcJQ$_5RhEz-vuFV5HC4BEvwrhnpQAb8ikcnT9f3sRQDs60E';

/** The scrypt parameters (N, r, p) a hash was made with, as `N$r$p`; undefined when not one of ours. */
export function hashParameters(stored: string): string | undefined {
  const parts = stored.split('$');
  return parts.length === 7 && parts[0] === 'scrypt' && parts[1] === '1' ? parts.slice(2, 5).join('$') : undefined;
}

/**
 * Checks a password against the stored hash, or against DUMMY_PASSWORD_HASH when there is none
 * (false then, after the same work).
 */
export async function verifyPasswordOrDummy(password: string, stored: string | undefined): Promise<boolean> {
  const ok = await verifyPassword(password, stored || DUMMY_PASSWORD_HASH);
  return ok && Boolean(stored);
}

/** A new access token: `syt_<localpart b64url>_<256 random bits b64url>` (the prefix helps log scanners). */
export function generateAccessToken(localpart: string): string {
  return `syt_${Buffer.from(localpart).toString('base64url')}_${randomBytes(32).toString('base64url')}`;
}

/** The form a token is stored and looked up in: only its sha256 is kept. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** The access token of a request: `Authorization: Bearer` first, else the deprecated query parameter. */
export function accessTokenFrom(headers: Record<string, string | undefined>, query: Record<string, string | undefined>): string | undefined {
  const header = headers.authorization ?? headers.Authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : undefined;
  }
  return query.access_token || undefined;
}
