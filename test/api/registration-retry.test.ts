// A registration sent again is the same registration: a client whose answer was lost or came as a
// 503 ("accepted but not applied yet") repeats its request with the same UIA session, and gets a
// login for the account its first request made, not M_USER_IN_USE (Synapse answers a completed UIA
// session the same way). Only the same session, user id and password make a retry; a registration
// token is counted once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { users } from '../../lib/matrix/pstates.ts';
import { createToken, getToken } from '../../lib/matrix/registration-tokens/manage.ts';
import { uniqueLocalpart } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';

type Registered = { user_id: string; access_token: string; device_id: string };

describe('a registration sent again', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('registration-retry');
    anonymous = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());
  beforeEach(() => {
    process.env.AXON_REGISTRATION = 'open';
  });

  /** The session of a first, stage-less request (as clients start). */
  const session = async (body: Record<string, unknown>) => (await anonymous.post<{ session: string }>(`${v3}/register`, body)).body.session;
  const complete = (body: Record<string, unknown>, s: string, auth: Record<string, unknown> = { type: 'm.login.dummy' }) =>
    anonymous.post<Registered>(`${v3}/register`, { ...body, auth: { ...auth, session: s } });
  const whoami = async (token: string) => (await anonymous.get<{ user_id: string }>(`${v3}/account/whoami`, { token })).body.user_id;

  it('with the same session gets a login for the account the first one made', async () => {
    const body = { username: uniqueLocalpart(), password: PASSWORD };
    const s = await session(body);
    const first = await complete(body, s);
    expect(first.status).toBe(200);
    const again = await complete(body, s);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.user_id).toBe(first.body.user_id);
    expect(again.body.access_token).not.toBe(first.body.access_token);
    // Both answers' tokens work: the first may have reached the client after all.
    expect(await whoami(first.body.access_token)).toBe(first.body.user_id);
    expect(await whoami(again.body.access_token)).toBe(first.body.user_id);
  });

  it('sent twice at once makes one account, and both answers log in to it', async () => {
    const body = { username: uniqueLocalpart(), password: PASSWORD, device_id: 'PHONE' };
    const s = await session(body);
    const [a, b] = await Promise.all([complete(body, s), complete(body, s)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.user_id).toBe(a.body.user_id);
    // The same device logged in twice: the later token replaced the earlier one's.
    expect([a.body.device_id, b.body.device_id]).toEqual(['PHONE', 'PHONE']);
    const account = await users.key(a.body.user_id).get({ consistent: true });
    expect(account?.createdTs).toBeDefined();
  });

  it('without a username asks for the same generated id again', async () => {
    const body = { password: PASSWORD };
    const s = await session(body);
    const first = await complete(body, s);
    const again = await complete(body, s);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.user_id).toBe(first.body.user_id);
    // Another session is another registration: another account.
    const other = await complete(body, await session(body));
    expect(other.status).toBe(200);
    expect(other.body.user_id).not.toBe(first.body.user_id);
  });

  it('in another session, or with another password, is someone else taking the name', async () => {
    const body = { username: uniqueLocalpart(), password: PASSWORD };
    const s = await session(body);
    expect((await complete(body, s)).status).toBe(200);
    expectError(await complete(body, await session(body)), 400, 'M_USER_IN_USE');
    expectError(await complete({ ...body, password: 'another password' }, s), 400, 'M_USER_IN_USE');
    // A session a client made up is no key either: the salt is the session's and the user's.
    expectError(await complete(body, 'made-up'), 400, 'M_USER_IN_USE');
  });

  it('of a deactivated account is refused: ids are never given out again', async () => {
    const body = { username: uniqueLocalpart(), password: PASSWORD };
    const s = await session(body);
    const first = await complete(body, s);
    const deactivated = await anonymous.post(`${v3}/account/deactivate`, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: first.body.user_id }, password: PASSWORD } }, { token: first.body.access_token });
    expect(deactivated.status).toBe(200);
    expectError(await complete(body, s), 400, 'M_USER_IN_USE');
  });

  it('with a registration token counts the token once, and works after its last use', async () => {
    process.env.AXON_REGISTRATION = 'token';
    const { token } = await createToken({ uses_allowed: 1 });
    const body = { username: uniqueLocalpart(), password: PASSWORD };
    const s = await session(body);
    const auth = { type: 'm.login.registration_token', token };
    const first = await complete(body, s, auth);
    expect(first.status).toBe(200);
    const again = await complete(body, s, auth);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.user_id).toBe(first.body.user_id);
    expect(await getToken(token)).toMatchObject({ uses_allowed: 1, completed: 1, pending: 0 });
    // The used-up token still makes no other account.
    const stranger = { username: uniqueLocalpart(), password: PASSWORD };
    expectError(await complete(stranger, await session(stranger), auth), 401, 'M_UNAUTHORIZED');
  });
});
