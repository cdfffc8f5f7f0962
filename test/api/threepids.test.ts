// Third-party identifiers without email, SMS or an identity server: each route checks its request
// as Synapse does, then answers Synapse's refusal (never a 500); an account's 3PIDs stay empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const password = 'correct horse battery staple';
const email = { client_secret: 'secret.1', email: 'alice@example.org', send_attempt: 1 };
const phone = { client_secret: 'secret.1', country: 'GB', phone_number: '07700 900123', send_attempt: 1 };

describe('third-party identifiers', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('threepids');
    anonymous = new TestClient(runtime.httpUrl);
    alice = await registerUser(anonymous, undefined, password);
  });
  afterAll(() => runtime?.stop());

  const noThreepids = async () => expect((await alice.client.get(`${v3}/account/3pid`)).body).toEqual({ threepids: [] });

  it('lists no 3PIDs, and needs an access token', async () => {
    const res = await alice.client.get(`${v3}/account/3pid`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ threepids: [] });
    expectError(await anonymous.get(`${v3}/account/3pid`), 401, 'M_MISSING_TOKEN');
  });

  it('adds none: the password stage first, then no validated session', async () => {
    const path = `${v3}/account/3pid/add`;
    const first = await alice.client.post<{ flows: { stages: string[] }[]; session: string }>(path, { client_secret: 'secret', sid: 'sid1' });
    expect(first.status).toBe(401);
    expect(first.body.flows[0]?.stages).toEqual(['m.login.password']);
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password, session: first.body.session };
    expectError(await alice.client.post(path, { client_secret: 'secret', sid: 'sid1', auth }), 400, 'M_THREEPID_AUTH_FAILED');
    expectError(await alice.client.post(path, { client_secret: 'secret', sid: 'sid1', auth: { ...auth, password: 'wrong' } }), 401, 'M_FORBIDDEN');
    expectError(await alice.client.post(path, { sid: 'sid1' }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(path, { client_secret: 'no spaces!', sid: 'sid1' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.post(path, { client_secret: 'secret', sid: 7 }), 400, 'M_BAD_JSON');
    expectError(await anonymous.post(path, { client_secret: 'secret', sid: 'sid1' }), 401, 'M_MISSING_TOKEN');
    await noThreepids();
  });

  it('refuses the deprecated POST /account/3pid the same way', async () => {
    const path = `${v3}/account/3pid`;
    expectError(await alice.client.post(path, { three_pid_creds: { client_secret: 'secret', sid: 'sid1' } }), 400, 'M_THREEPID_AUTH_FAILED');
    expectError(await alice.client.post(path, { threePidCreds: { client_secret: 'secret', sid: 'sid1' } }), 400, 'M_THREEPID_AUTH_FAILED');
    expectError(await alice.client.post(path, {}), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(path, { three_pid_creds: { client_secret: 'secret' } }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(path, { three_pid_creds: { client_secret: '', sid: 's' } }), 400, 'M_INVALID_PARAM');
    await noThreepids();
  });

  it('binds nothing: no identity server is trusted', async () => {
    const path = `${v3}/account/3pid/bind`;
    const body = { client_secret: 'secret', sid: 'sid1', id_server: 'id.example.org', id_access_token: 'token' };
    expectError(await alice.client.post(path, body), 400, 'M_SERVER_NOT_TRUSTED');
    expectError(await alice.client.post(path, { ...body, id_server: undefined }), 400, 'M_MISSING_PARAM');
    expectError(await anonymous.post(path, body), 401, 'M_MISSING_TOKEN');
  });

  it('unbinds and deletes with nothing to tell an identity server', async () => {
    for (const path of [`${v3}/account/3pid/unbind`, `${v3}/account/3pid/delete`]) {
      const res = await alice.client.post(path, { medium: 'email', address: 'alice@example.org' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id_server_unbind_result: 'no-support' });
      expectError(await alice.client.post(path, { medium: 'fax', address: '1' }), 400, 'M_BAD_JSON');
      expectError(await alice.client.post(path, { medium: 'email' }), 400, 'M_MISSING_PARAM');
      expectError(await anonymous.post(path, { medium: 'email', address: 'a@b.c' }), 401, 'M_MISSING_TOKEN');
    }
  });

  it('sends no email: every email requestToken is refused as Synapse refuses it', async () => {
    expectError(await anonymous.post(`${v3}/account/3pid/email/requestToken`, email), 400, 'M_THREEPID_MEDIUM_NOT_SUPPORTED');
    expectError(await anonymous.post(`${v3}/register/email/requestToken`, email), 400, 'M_UNKNOWN');
    expectError(await anonymous.post(`${v3}/account/password/email/requestToken`, email), 400, 'M_UNKNOWN');
  });

  it('sends no SMS: phone requestTokens check the request, then refuse', async () => {
    expectError(await anonymous.post(`${v3}/account/3pid/msisdn/requestToken`, phone), 400, 'M_THREEPID_MEDIUM_NOT_SUPPORTED');
    expectError(await anonymous.post(`${v3}/register/msisdn/requestToken`, phone), 400, 'M_UNKNOWN');
    expectError(await anonymous.post(`${v3}/account/password/msisdn/requestToken`, phone), 400, 'M_THREEPID_NOT_FOUND');
    for (const path of [`${v3}/account/3pid/msisdn/requestToken`, `${v3}/register/msisdn/requestToken`, `${v3}/account/password/msisdn/requestToken`]) {
      expectError(await anonymous.post(path, { ...phone, send_attempt: undefined }), 400, 'M_MISSING_PARAM');
      expectError(await anonymous.post(path, { ...phone, send_attempt: 'one' }), 400, 'M_BAD_JSON');
      expectError(await anonymous.post(path, { ...phone, client_secret: 'bad secret' }), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.post(path, { ...phone, phone_number: 'not a number' }), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.post(path, undefined, { rawBody: '{nope' }), 400, 'M_NOT_JSON');
    }
  });
});
