// Password guessing: logins are limited per client address, per account's failed attempts and per
// account's successful logins (Synapse's rc_login, as token buckets), answered 429
// M_LIMIT_EXCEEDED with retry_after_ms; an unknown user is answered exactly as a wrong password
// (same limits, and the password is run through the KDF against a dummy hash).
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { LOGIN_LIMITS, limitLoginAddress, loginLimit } from '../../lib/matrix/accounts/rate-limits.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { takeToken, tokenWait } from '../../lib/matrix/rate-limits.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';

const retryAfter = (res: MatrixResponse) => (res.body as { retry_after_ms?: number }).retry_after_ms;

describe('login limits', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  let scrypt: MockInstance;
  const saved = Object.fromEntries(Object.values(LOGIN_LIMITS).map(({ env }) => [env, process.env[env]]));
  /** Sets the limits a test asserts on; the others stay loose (test/support/setup.ts). */
  const limits = (values: Partial<Record<keyof typeof LOGIN_LIMITS, string>>) => {
    for (const [which, value] of Object.entries(values)) process.env[LOGIN_LIMITS[which as keyof typeof LOGIN_LIMITS].env] = value;
  };
  const login = (user: string, password: string) =>
    anon.post(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });

  beforeAll(async () => {
    // Every scrypt run is counted (and still done): the proof that an unknown user costs a KDF run.
    scrypt = vi.spyOn(crypto, 'scrypt');
    syncBuiltinESMExports();
    runtime = await startTestRuntime('login-limits');
    anon = new TestClient(runtime.httpUrl);
  });
  afterEach(() => {
    for (const [env, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[env];
      else process.env[env] = value;
    }
  });
  afterAll(async () => {
    scrypt.mockRestore();
    syncBuiltinESMExports();
    await runtime?.stop();
  });

  it('an unknown user is answered as a wrong password, after the same KDF run', async () => {
    const alice = await registerUser(anon);
    const kdfRuns = async (attempt: () => Promise<MatrixResponse>) => {
      const before = scrypt.mock.calls.length;
      expectError(await attempt(), 403, 'M_FORBIDDEN');
      return scrypt.mock.calls.length - before;
    };
    expect(await kdfRuns(() => login(alice.userId, 'wrong'))).toBe(1);
    expect(await kdfRuns(() => login('@nobody-here:localhost', 'wrong'))).toBe(1);
    expect(await kdfRuns(() => login('nobody-either', 'wrong'))).toBe(1);
    expect(await kdfRuns(() => login('@someone:elsewhere.example', 'wrong'))).toBe(1);
    // The bodies are the same too.
    const [known, unknown] = [await login(alice.userId, 'wrong'), await login('@nobody-here:localhost', 'wrong')];
    expect(unknown.body).toEqual(known.body);
  });

  it('after 3 wrong passwords an account is refused for a while, even with the right one; an unknown one alike', async () => {
    // One attempt more every 600 s: long enough that a loaded machine refills nothing meanwhile.
    limits({ failures: '3/1800' });
    const [alice, bob] = [await registerUser(anon), await registerUser(anon)];
    for (const user of [alice.userId, '@ghost:localhost']) {
      for (let i = 0; i < 3; i++) expectError(await login(user, `guess ${i}`), 403, 'M_FORBIDDEN');
      const refused = await login(user, user === alice.userId ? PASSWORD : 'guess 3');
      expectError(refused, 429, 'M_LIMIT_EXCEEDED');
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect(retryAfter(refused)).toBeLessThanOrEqual(600_000);
    }
    // Naming the account by its localpart, in capitals, does not make another account of it.
    expectError(await login(alice.userId.slice(1).split(':')[0]!.toUpperCase(), PASSWORD), 429, 'M_LIMIT_EXCEEDED');
    // Other accounts are not affected.
    expect((await login(bob.userId, PASSWORD)).status).toBe(200);
  });

  it('successful logins to one account are limited too (5 at once, then one per 333 s by default)', async () => {
    limits({ account: '2/600' });
    const carol = await registerUser(anon);
    expect((await login(carol.userId, PASSWORD)).status).toBe(200);
    expect((await login(carol.userId, PASSWORD)).status).toBe(200);
    const refused = await login(carol.userId, PASSWORD);
    expectError(refused, 429, 'M_LIMIT_EXCEEDED');
    expect(retryAfter(refused)).toBeGreaterThan(200_000);
  });

  it('one client address gets a burst of logins, then 429 with retry_after_ms', async () => {
    limits({ address: '3/6000' });
    const dave = await registerUser(anon);
    const answers: MatrixResponse[] = [];
    for (let i = 0; i < 4; i++) answers.push(await login(dave.userId, i % 2 ? PASSWORD : 'wrong'));
    expect(answers.slice(0, 3).map((r) => r.status)).toEqual([403, 200, 403]);
    expectError(answers[3]!, 429, 'M_LIMIT_EXCEEDED');
    expect(retryAfter(answers[3]!)).toBeGreaterThan(0);
    expect(retryAfter(answers[3]!)).toBeLessThanOrEqual(2_000_000);
  });

  it('the UIA password stage limits failed attempts as well (a stolen token is no way to guess the password)', async () => {
    limits({ failures: '3/1800' });
    const erin = await registerUser(anon);
    const change = (password: string) =>
      erin.client.post(`${v3}/account/password`, {
        new_password: 'another long password',
        auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: erin.userId }, password },
      });
    for (let i = 0; i < 3; i++) expect((await change(`guess ${i}`)).status).toBe(401);
    expectError(await change(PASSWORD), 429, 'M_LIMIT_EXCEEDED');
  });

  it("defaults are Synapse's rc_login: 5 per address and per account then one per 333 s, 3 failures then one per 6 s", () => {
    for (const { env } of Object.values(LOGIN_LIMITS)) delete process.env[env];
    expect(loginLimit('address')).toEqual({ count: 5, windowMs: 1_667_000 });
    expect(loginLimit('account')).toEqual({ count: 5, windowMs: 1_667_000 });
    expect(loginLimit('failures')).toEqual({ count: 3, windowMs: 18_000 });
  });

  describe('token buckets', () => {
    const limit = { count: 3, windowMs: 18_000 };
    const t0 = 1_900_000_000_000;

    it('a burst of count, then one per windowMs / count, waiting as long as retry_after_ms says', async () => {
      const key = `test:${Math.random()}`;
      for (let i = 0; i < 3; i++) await takeToken(key, limit, t0 + i);
      const refused = await takeToken(key, limit, t0 + 3).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MatrixError);
      const wait = (refused as MatrixError).extra.retry_after_ms as number;
      expect(wait).toBe(5_997);
      expect(await tokenWait(key, limit, t0 + 3)).toBe(wait);
      // Not a moment before it, exactly then, and then the next one an interval later.
      await expect(takeToken(key, limit, t0 + 3 + wait - 1)).rejects.toBeInstanceOf(MatrixError);
      await takeToken(key, limit, t0 + 3 + wait);
      await expect(takeToken(key, limit, t0 + 3 + wait + 1)).rejects.toBeInstanceOf(MatrixError);
      // Left alone for a window, the bucket is full again.
      for (let i = 0; i < 3; i++) await takeToken(key, limit, t0 + 60_000 + i);
      await expect(takeToken(key, limit, t0 + 60_003)).rejects.toBeInstanceOf(MatrixError);
    });

    it('buckets are per key: another address is not affected', async () => {
      limits({ address: '1/60' });
      await limitLoginAddress('203.0.113.7', t0);
      await expect(limitLoginAddress('203.0.113.7', t0 + 1)).rejects.toBeInstanceOf(MatrixError);
      await limitLoginAddress('203.0.113.8', t0 + 1);
    });

    it('concurrent requests never get more than the burst', async () => {
      const key = `race:${Math.random()}`;
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => takeToken(key, limit, t0)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    });
  });
});
