import { describe, expect, it } from 'vitest';
import {
  DUMMY_PASSWORD_HASH,
  accessTokenFrom,
  generateAccessToken,
  hashAccessToken,
  hashParameters,
  hashPassword,
  verifyPassword,
  verifyPasswordOrDummy,
} from '../../lib/matrix/passwords.ts';

describe('passwords', () => {
  it('verifies the right password and refuses others', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$1\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(hash); // salted
  });
  it('refuses malformed stored hashes', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1$a$8$1$c2FsdA$')).toBe(false);
  });
  it('checks a missing hash against a dummy made with the current parameters, so it costs the same', async () => {
    // Raising the scrypt parameters must renew the dummy, or unknown users answer faster.
    expect(hashParameters(DUMMY_PASSWORD_HASH)).toBe(hashParameters(await hashPassword('x')));
    expect(hashParameters('plain')).toBeUndefined();
    expect(await verifyPasswordOrDummy('correct horse', undefined)).toBe(false);
    expect(await verifyPasswordOrDummy('correct horse', '')).toBe(false);
    expect(await verifyPasswordOrDummy('correct horse', await hashPassword('correct horse'))).toBe(true);
  });
});

describe('access tokens', () => {
  it('are 256-bit random, url-safe, and stored as hashes', () => {
    const a = generateAccessToken('alice');
    const b = generateAccessToken('alice');
    expect(a).toMatch(/^syt_YWxpY2U_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashAccessToken(a)).toBe(hashAccessToken(a));
    expect(hashAccessToken(a)).not.toBe(hashAccessToken(b));
    expect(hashAccessToken(a)).not.toContain(a.slice(10));
  });
  it('are read from the Authorization header first, then the query', () => {
    expect(accessTokenFrom({ authorization: 'Bearer abc' }, { access_token: 'q' })).toBe('abc');
    expect(accessTokenFrom({}, { access_token: 'q' })).toBe('q');
    expect(accessTokenFrom({ authorization: 'Basic abc' }, {})).toBeUndefined();
    expect(accessTokenFrom({}, {})).toBeUndefined();
  });
});
