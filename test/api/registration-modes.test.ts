// Who may register: `closed` refuses with no flows, `token` asks for m.login.registration_token
// (spec v1.2) and counts each token's uses exactly, also when registrations race for its last use
// (the users topology applies them at the same time for different users), `open` keeps m.login.dummy.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { users } from '../../lib/matrix/pstates.ts';
import { createToken, getToken } from '../../lib/matrix/registration-tokens/manage.ts';
import { uniqueLocalpart } from '../support/accounts.ts';
import { TestClient, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const register = '/_matrix/client/v3/register';
const validity = (token: string) => `/_matrix/client/v1/register/m.login.registration_token/validity?token=${encodeURIComponent(token)}`;
const PASSWORD = 'correct horse battery staple';

type UiaBody = { flows?: { stages: string[] }[]; session?: string; errcode?: string };

describe('registration modes', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('registration-modes');
    anonymous = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  /** Functions run in this process and read the mode on every request. */
  const mode = (m: string) => {
    process.env.AXON_REGISTRATION = m;
  };

  const withToken = (username: string, token: unknown, session = 'session') =>
    anonymous.post<UiaBody & { user_id?: string }>(register, { username, password: PASSWORD, auth: { type: 'm.login.registration_token', token, session } });

  describe('closed', () => {
    beforeEach(() => mode('closed'));

    it('answers /register with 403 M_FORBIDDEN and no flows, whatever the auth', async () => {
      for (const body of [{}, { username: uniqueLocalpart(), password: PASSWORD, auth: { type: 'm.login.dummy' } }]) {
        const res = await anonymous.post<UiaBody>(register, body);
        expectError(res, 403, 'M_FORBIDDEN');
        expect(res.body.flows).toBeUndefined();
      }
      expectError(await anonymous.get(`${register}/available?username=${uniqueLocalpart()}`), 403, 'M_FORBIDDEN');
      expectError(await anonymous.get(validity('abc')), 403, 'M_FORBIDDEN');
    });

    it('is the default when nothing says otherwise', async () => {
      delete process.env.AXON_REGISTRATION;
      expectError(await anonymous.post(register, {}), 403, 'M_FORBIDDEN');
    });
  });

  describe('open', () => {
    beforeEach(() => mode('open'));

    it('offers m.login.dummy and registers', async () => {
      const first = await anonymous.post<UiaBody>(register, { username: uniqueLocalpart(), password: PASSWORD });
      expect(first.status).toBe(401);
      expect(first.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    });
  });

  describe('token', () => {
    beforeEach(() => mode('token'));

    it('offers only m.login.registration_token, and refuses the dummy stage', async () => {
      const username = uniqueLocalpart();
      const first = await anonymous.post<UiaBody>(register, { username, password: PASSWORD });
      expect(first.status).toBe(401);
      expect(first.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
      expect(first.body.errcode).toBeUndefined();
      const dummy = await anonymous.post<UiaBody>(register, { username, password: PASSWORD, auth: { type: 'm.login.dummy', session: first.body.session } });
      expect(dummy.status).toBe(401);
      expect(dummy.body.errcode).toBe('M_UNRECOGNIZED');
    });

    it('refuses unknown, malformed, missing, expired and used-up tokens', async () => {
      const unknown = await withToken(uniqueLocalpart(), 'no-such-token');
      expectError(unknown, 401, 'M_UNAUTHORIZED');
      expect(unknown.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
      expectError(await withToken(uniqueLocalpart(), 'spaces are not allowed'), 401, 'M_UNAUTHORIZED');
      expectError(await withToken(uniqueLocalpart(), 42), 400, 'M_INVALID_PARAM');
      expectError(await withToken(uniqueLocalpart(), undefined), 400, 'M_MISSING_PARAM');

      const expiring = await createToken({ expiry_time: Date.now() + 1500 });
      await new Promise((r) => setTimeout(r, 1600));
      expectError(await withToken(uniqueLocalpart(), expiring.token), 401, 'M_UNAUTHORIZED');

      const none = await createToken({ uses_allowed: 0 });
      expectError(await withToken(uniqueLocalpart(), none.token), 401, 'M_UNAUTHORIZED');
    });

    it('registers with a valid token, counts its uses and answers its validity', async () => {
      const { token } = await createToken({ uses_allowed: 2, length: 24 });
      expect(token).toMatch(/^[A-Za-z0-9._~-]{24}$/);
      expect((await anonymous.get(validity(token))).body).toEqual({ valid: true });
      const alice = uniqueLocalpart('alice');
      const done = await withToken(alice, token);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.user_id).toBe(`@${alice}:localhost`);
      expect(await getToken(token)).toMatchObject({ uses_allowed: 2, pending: 0, completed: 1 });
      expect((await withToken(uniqueLocalpart(), token)).status).toBe(200);
      expect(await getToken(token)).toMatchObject({ completed: 2 });
      expect((await anonymous.get(validity(token))).body).toEqual({ valid: false });
      expectError(await withToken(uniqueLocalpart(), token), 401, 'M_UNAUTHORIZED');
      expect((await anonymous.get(validity('never-made'))).body).toEqual({ valid: false });
      expectError(await anonymous.get('/_matrix/client/v1/register/m.login.registration_token/validity'), 400, 'M_MISSING_PARAM');
    });

    it('a failed registration does not use the token', async () => {
      const { token } = await createToken({ uses_allowed: 1 });
      const taken = uniqueLocalpart();
      expect((await withToken(taken, token)).status).toBe(200);
      const other = await createToken({ uses_allowed: 1 });
      // Someone else (another UIA session: the same one would be a retry of the first registration).
      expectError(await withToken(taken, other.token, 'another session'), 400, 'M_USER_IN_USE');
      expect(await getToken(other.token)).toMatchObject({ completed: 0 });
    });

    // The HTTP edge sees the token usable for every one of them; only the topology's conditional,
    // exactly-once count can let just `uses_allowed` through.
    it.each([1, 3])('lets exactly uses_allowed=%i of 8 concurrent registrations through', async (allowed) => {
      const { token } = await createToken({ uses_allowed: allowed });
      const names = Array.from({ length: 8 }, () => uniqueLocalpart('racer'));
      const results: MatrixResponse<UiaBody>[] = await Promise.all(names.map((name) => withToken(name, token)));
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(allowed);
      for (const r of results.filter((res) => res.status !== 200)) expectError(r, 401, 'M_UNAUTHORIZED');
      expect(await getToken(token)).toMatchObject({ uses_allowed: allowed, completed: allowed });
      // The refused ones left no account behind.
      const accounts = await Promise.all(names.map((name) => users.key(`@${name}:localhost`).fields(['createdTs'], { consistent: true })));
      expect(accounts.filter((a) => a?.createdTs !== undefined)).toHaveLength(allowed);
    });
  });
});
