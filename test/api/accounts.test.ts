// Registration, login, logout, whoami, password change and deactivation through the HTTP API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthType, createClient, InteractiveAuth, type RegisterResponse } from 'matrix-js-sdk';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { verifyPassword } from '../../lib/matrix/passwords.ts';
import { devices, users } from '../../lib/matrix/pstates.ts';
import { loginUser, registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk } from '../support/sdk.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';

interface UiaBody {
  flows: { stages: string[] }[];
  params: Record<string, unknown>;
  session: string;
  errcode?: string;
}

function expectUia(res: MatrixResponse, stage: string, errcode?: string): string {
  const body = res.body as unknown as UiaBody;
  expect(res.status).toBe(401);
  expect(body.flows).toEqual([{ stages: [stage] }]);
  expect(body.params).toEqual({});
  expect(typeof body.session).toBe('string');
  expect(body.errcode).toBe(errcode);
  return body.session;
}

const passwordAuth = (user: string, password = PASSWORD, session?: string) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user },
  password,
  ...(session ? { session } : {}),
});

describe('accounts', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('accounts');
    anon = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  const deviceCount = (userId: string) => devices.key(userId).count({ consistent: true });
  const whoami = (token: string) => anon.get(`${v3}/account/whoami`, { token });

  describe('POST /register', () => {
    it('asks for the m.login.dummy stage first, then registers and logs in', async () => {
      const localpart = uniqueLocalpart('reg');
      const first = await anon.post(`${v3}/register`, { username: localpart, password: PASSWORD });
      const session = expectUia(first, 'm.login.dummy');
      expect(await users.key(`@${localpart}:localhost`).get({ consistent: true })).toBeUndefined();

      const done = await anon.post<{ user_id: string; access_token: string; device_id: string }>(`${v3}/register`, {
        username: localpart,
        password: PASSWORD,
        device_id: 'MYPHONE',
        initial_device_display_name: 'Phone',
        auth: { type: 'm.login.dummy', session },
      });
      expect(done.status).toBe(200);
      expect(done.body.user_id).toBe(`@${localpart}:localhost`);
      expect(done.body.device_id).toBe('MYPHONE');
      expect((await whoami(done.body.access_token)).body).toEqual({ user_id: done.body.user_id, device_id: 'MYPHONE', is_guest: false });
      const device = await anon.get(`${v3}/devices/MYPHONE`, { token: done.body.access_token });
      expect(device.body).toMatchObject({ device_id: 'MYPHONE', display_name: 'Phone' });
      const profile = await anon.get(`${v3}/profile/${encodeURIComponent(done.body.user_id)}`);
      expect(profile.body).toEqual({ displayname: localpart });
    });

    it('registers without logging in when inhibit_login is set', async () => {
      const localpart = uniqueLocalpart('inhibit');
      const res = await anon.post(`${v3}/register`, { username: localpart, password: PASSWORD, inhibit_login: true, auth: { type: 'm.login.dummy' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user_id: `@${localpart}:localhost` });
      expect(await deviceCount(`@${localpart}:localhost`)).toBe(0);
      await loginUser(anon, localpart);
    });

    it('picks a user id when no username is given', async () => {
      const res = await anon.post<{ user_id: string; access_token: string }>(`${v3}/register`, { password: PASSWORD, auth: { type: 'm.login.dummy' } });
      expect(res.status).toBe(200);
      expect(res.body.user_id).toMatch(/^@[a-z0-9]+:localhost$/);
      expect((await whoami(res.body.access_token)).status).toBe(200);
    });

    it('refuses a taken user id, before and after the UIA stage, and writes nothing', async () => {
      const alice = await registerUser(anon);
      const localpart = alice.userId.slice(1).split(':')[0]!;
      expectError(await anon.post(`${v3}/register`, { username: localpart, password: 'other' }), 400, 'M_USER_IN_USE');
      expectError(await anon.post(`${v3}/register`, { username: localpart, password: 'other', auth: { type: 'm.login.dummy' } }), 400, 'M_USER_IN_USE');
      expect(await deviceCount(alice.userId)).toBe(1);
      const stored = await users.key(alice.userId).get({ consistent: true });
      expect(await verifyPassword(PASSWORD, stored!.passwordHash!)).toBe(true);
    });

    it('lets exactly one of two concurrent registrations of one name win', async () => {
      const localpart = uniqueLocalpart('race');
      const attempt = (password: string) =>
        anon.post<{ user_id?: string; errcode?: string }>(`${v3}/register`, { username: localpart, password, auth: { type: 'm.login.dummy' } });
      const results = await Promise.all([attempt('first password'), attempt('second password')]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400]);
      const loser = results.find((r) => r.status === 400)!;
      expectError(loser, 400, 'M_USER_IN_USE');
      const winnerPassword = results[0]!.status === 200 ? 'first password' : 'second password';
      const stored = await users.key(`@${localpart}:localhost`).get({ consistent: true });
      expect(await verifyPassword(winnerPassword, stored!.passwordHash!)).toBe(true);
      expect(await deviceCount(`@${localpart}:localhost`)).toBe(1);
    });

    it('refuses invalid usernames with M_INVALID_USERNAME', async () => {
      for (const username of ['_bridge', 'a:b', 'white space', '']) {
        expectError(await anon.post(`${v3}/register`, { username, password: PASSWORD, auth: { type: 'm.login.dummy' } }), 400, 'M_INVALID_USERNAME');
      }
    });

    // Complement apidoc_register_test "POST /register downcases capitals in usernames", and
    // apidoc_login_test "Login with uppercase username works and GET /whoami afterwards also".
    it('downcases capitals in the username, as Synapse does, and logs in with an upper-case id', async () => {
      const localpart = uniqueLocalpart('caps');
      const res = await anon.post<{ user_id: string }>(`${v3}/register`, { username: localpart.toUpperCase(), password: PASSWORD, auth: { type: 'm.login.dummy' } });
      expect(res.status).toBe(200);
      expect(res.body.user_id).toBe(`@${localpart}:localhost`);
      const login = await anon.post<{ user_id: string; access_token: string }>(`${v3}/login`, passwordAuth(`@${localpart.toUpperCase()}:localhost`));
      expect(login.status).toBe(200);
      expect(login.body.user_id).toBe(`@${localpart}:localhost`);
      expect((await whoami(login.body.access_token)).body).toMatchObject({ user_id: `@${localpart}:localhost` });
    });

    // Complement apidoc_request_encoding_test "POST rejects invalid utf-8 in JSON"; a body that is
    // JSON but not an object is M_BAD_JSON as Synapse answers ("Content must be a JSON object").
    it('refuses invalid UTF-8 as M_NOT_JSON and a null or array body as M_BAD_JSON, before the UIA stage', async () => {
      const invalidUtf8 = Buffer.concat([Buffer.from('{ "test":"a'), Buffer.from([0x81]), Buffer.from('" }')]);
      // Sent as Complement sends it, without a content type: HTTP APIs pass such a body as bytes
      // (base64). An application/json body reaches the function as text that API Gateway decoded.
      const raw = await fetch(`${runtime.httpUrl}${v3}/register`, { method: 'POST', body: invalidUtf8 });
      expect(raw.status).toBe(400);
      expect(((await raw.json()) as { errcode: string }).errcode).toBe('M_NOT_JSON');
      for (const rawBody of ['null', '[]', '[{"username":"x"}]']) {
        expectError(await anon.request('POST', `${v3}/register`, undefined, { rawBody }), 400, 'M_BAD_JSON');
      }
    });

    it('answers a bare first call (how Element asks for the flows) with the 401, and needs a password to finish', async () => {
      expectUia(await anon.post(`${v3}/register`, {}), 'm.login.dummy');
      const localpart = uniqueLocalpart('nopass');
      expectError(await anon.post(`${v3}/register`, { username: localpart, auth: { type: 'm.login.dummy' } }), 400, 'M_MISSING_PARAM');
      expect(await users.key(`@${localpart}:localhost`).get({ consistent: true })).toBeUndefined();
    });

    it('refuses guests, bad bodies and unknown auth types', async () => {
      expectError(await anon.post(`${v3}/register?kind=guest`, {}), 403, 'M_GUEST_ACCESS_FORBIDDEN');
      expectError(await anon.post(`${v3}/register`, { username: 5 }), 400, 'M_BAD_JSON');
      expectError(await anon.post(`${v3}/register`, { password: ['x'] }), 400, 'M_BAD_JSON');
      expectError(await anon.request('POST', `${v3}/register`, undefined, { rawBody: '{not json' }), 400, 'M_NOT_JSON');
      const localpart = uniqueLocalpart('authtype');
      const res = await anon.post(`${v3}/register`, { username: localpart, password: PASSWORD, auth: { type: 'm.login.recaptcha', session: 'abc' } });
      expectUia(res, 'm.login.dummy', 'M_UNRECOGNIZED');
      expect(await users.key(`@${localpart}:localhost`).get({ consistent: true })).toBeUndefined();
    });
  });

  describe('GET /register/available', () => {
    it('answers available, taken, invalid and missing', async () => {
      const alice = await registerUser(anon);
      const taken = alice.userId.slice(1).split(':')[0]!;
      expect((await anon.get(`${v3}/register/available?username=${uniqueLocalpart('free')}`)).body).toEqual({ available: true });
      expectError(await anon.get(`${v3}/register/available?username=${taken}`), 400, 'M_USER_IN_USE');
      expectError(await anon.get(`${v3}/register/available?username=Upper`), 400, 'M_INVALID_USERNAME');
      expectError(await anon.get(`${v3}/register/available`), 400, 'M_MISSING_PARAM');
    });
  });

  describe('login', () => {
    let bob: RegisteredUser;
    let localpart: string;
    beforeAll(async () => {
      bob = await registerUser(anon);
      localpart = bob.userId.slice(1).split(':')[0]!;
    });

    it('offers m.login.password', async () => {
      expect((await anon.get(`${v3}/login`)).body).toEqual({ flows: [{ type: 'm.login.password' }] });
    });

    it('logs in by localpart, by full id and by the deprecated user field, each a new device', async () => {
      const before = await deviceCount(bob.userId);
      const byLocalpart = await loginUser(anon, localpart);
      const byId = await loginUser(anon, bob.userId);
      const legacy = await anon.post<{ access_token: string; device_id: string; user_id: string }>(`${v3}/login`, {
        type: 'm.login.password',
        user: localpart,
        password: PASSWORD,
        initial_device_display_name: 'Legacy client',
      });
      expect(legacy.status).toBe(200);
      expect(legacy.body.user_id).toBe(bob.userId);
      expect(new Set([byLocalpart.deviceId, byId.deviceId, legacy.body.device_id]).size).toBe(3);
      expect(await deviceCount(bob.userId)).toBe(before + 3);
      const device = await anon.get(`${v3}/devices/${legacy.body.device_id}`, { token: legacy.body.access_token });
      expect(device.body).toMatchObject({ display_name: 'Legacy client' });
    });

    it('reuses a known device id: the device keeps its place, its old token dies', async () => {
      const first = await loginUser(anon, localpart);
      const before = await deviceCount(bob.userId);
      const again = await anon.post<{ access_token: string; device_id: string }>(`${v3}/login`, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: localpart },
        password: PASSWORD,
        device_id: first.deviceId,
      });
      expect(again.body.device_id).toBe(first.deviceId);
      expect(await deviceCount(bob.userId)).toBe(before);
      expectError(await whoami(first.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expect((await whoami(again.body.access_token)).body).toMatchObject({ device_id: first.deviceId });
    });

    it('refuses wrong passwords, unknown users and bad requests, writing nothing', async () => {
      const before = await deviceCount(bob.userId);
      const login = (body: unknown) => anon.post(`${v3}/login`, body);
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'wrong' }), 403, 'M_FORBIDDEN');
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'nobody_here' }, password: PASSWORD }), 403, 'M_FORBIDDEN');
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: '@x:other.server' }, password: PASSWORD }), 403, 'M_FORBIDDEN');
      expectError(await login({ type: 'm.login.token', token: 'abc' }), 400, 'M_UNKNOWN');
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' }, password: PASSWORD }), 400, 'M_UNKNOWN');
      expectError(await login({ type: 'm.login.password', password: PASSWORD }), 400, 'M_MISSING_PARAM');
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart } }), 400, 'M_MISSING_PARAM');
      expectError(await login({ identifier: { type: 'm.id.user', user: localpart }, password: PASSWORD }), 400, 'M_MISSING_PARAM');
      expectError(await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 42 }), 400, 'M_BAD_JSON');
      expect(await deviceCount(bob.userId)).toBe(before);
    });
  });

  describe('tokens, logout and whoami', () => {
    it('refuses a missing or unknown token', async () => {
      expectError(await anon.get(`${v3}/account/whoami`), 401, 'M_MISSING_TOKEN');
      expectError(await whoami('syt_bm9ib2R5_notatoken'), 401, 'M_UNKNOWN_TOKEN');
      expectError(await anon.post(`${v3}/logout`), 401, 'M_MISSING_TOKEN');
    });

    it('logout kills that device and its token at once, and only that one', async () => {
      const carol = await registerUser(anon);
      const other = await loginUser(anon, carol.userId);
      expect((await carol.client.post(`${v3}/logout`)).body).toEqual({});
      expectError(await whoami(carol.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expectError(await carol.client.post(`${v3}/logout`), 401, 'M_UNKNOWN_TOKEN');
      expect((await whoami(other.accessToken)).status).toBe(200);
      expect(await devices.key(carol.userId).has(carol.deviceId, { consistent: true })).toBe(false);
      expect(await deviceCount(carol.userId)).toBe(1);
    });

    it('logout/all kills every device of the user and no one else', async () => {
      const dave = await registerUser(anon);
      const second = await loginUser(anon, dave.userId);
      const bystander = await registerUser(anon);
      expect((await second.client.post(`${v3}/logout/all`)).body).toEqual({});
      expectError(await whoami(dave.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expectError(await whoami(second.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expect(await deviceCount(dave.userId)).toBe(0);
      expect((await whoami(bystander.accessToken)).status).toBe(200);
      await loginUser(anon, dave.userId);
    });
  });

  describe('POST /account/password', () => {
    it('asks for the current password, then changes it and logs the other devices out', async () => {
      const erin = await registerUser(anon);
      const other = await loginUser(anon, erin.userId);
      const change = (auth?: unknown, extra: Record<string, unknown> = {}) =>
        erin.client.post(`${v3}/account/password`, { new_password: 'new secret', ...(auth ? { auth } : {}), ...extra });
      const session = expectUia(await change(), 'm.login.password');
      expectUia(await change(passwordAuth(erin.userId, 'wrong', session)), 'm.login.password', 'M_FORBIDDEN');
      const bystander = await registerUser(anon);
      // Naming another user is a plain 403, as Synapse answers.
      expectError(await change(passwordAuth(bystander.userId, PASSWORD, session)), 403, 'M_FORBIDDEN');
      // Nothing changed by the refusals.
      expect((await whoami(other.accessToken)).status).toBe(200);
      await loginUser(anon, erin.userId, PASSWORD);

      expect((await change(passwordAuth(erin.userId, PASSWORD, session))).body).toEqual({});
      expect((await whoami(erin.accessToken)).status).toBe(200);
      expectError(await whoami(other.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expect(await deviceCount(erin.userId)).toBe(1);
      expectError(
        await anon.post(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: erin.userId }, password: PASSWORD }),
        403,
        'M_FORBIDDEN',
      );
      await loginUser(anon, erin.userId, 'new secret');
    });

    it('keeps the other devices with logout_devices false', async () => {
      const frank = await registerUser(anon);
      const other = await loginUser(anon, frank.userId);
      const res = await frank.client.post(`${v3}/account/password`, { new_password: 'next', logout_devices: false, auth: passwordAuth(frank.userId) });
      expect(res.status).toBe(200);
      expect((await whoami(other.accessToken)).status).toBe(200);
    });

    it('refuses a missing new_password and a missing token', async () => {
      const gina = await registerUser(anon);
      expectError(await gina.client.post(`${v3}/account/password`, { auth: passwordAuth(gina.userId) }), 400, 'M_MISSING_PARAM');
      expectError(await gina.client.post(`${v3}/account/password`, { new_password: 1, auth: passwordAuth(gina.userId) }), 400, 'M_BAD_JSON');
      expectError(await anon.post(`${v3}/account/password`, { new_password: 'x' }), 401, 'M_MISSING_TOKEN');
    });
  });

  describe('POST /account/deactivate', () => {
    it('needs the password, then kills every token at once and keeps the id taken for good', async () => {
      const hank = await registerUser(anon);
      const other = await loginUser(anon, hank.userId);
      const localpart = hank.userId.slice(1).split(':')[0]!;
      const session = expectUia(await hank.client.post(`${v3}/account/deactivate`, {}), 'm.login.password');
      expectUia(await hank.client.post(`${v3}/account/deactivate`, { auth: passwordAuth(localpart, 'nope', session) }), 'm.login.password', 'M_FORBIDDEN');
      expect((await whoami(other.accessToken)).status).toBe(200);

      const res = await hank.client.post(`${v3}/account/deactivate`, { auth: passwordAuth(localpart, PASSWORD, session) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id_server_unbind_result: 'no-support' });
      expectError(await whoami(hank.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expectError(await whoami(other.accessToken), 401, 'M_UNKNOWN_TOKEN');
      expect(await deviceCount(hank.userId)).toBe(0);
      expectError(
        await anon.post(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: PASSWORD }),
        403,
        'M_USER_DEACTIVATED',
      );
      expectError(await anon.post(`${v3}/register`, { username: localpart, password: PASSWORD, auth: { type: 'm.login.dummy' } }), 400, 'M_USER_IN_USE');
      expectError(await anon.get(`${v3}/register/available?username=${localpart}`), 400, 'M_USER_IN_USE');
    });
  });

  describe('through matrix-js-sdk, as Element drives it', () => {
    beforeAll(() => {
      quietSdk('silent');
    });

    it('registers with InteractiveAuth (dummy stage), logs in, deletes a device with the password stage, logs out', async () => {
      const sdk = createClient({ baseUrl: runtime.httpUrl });
      const localpart = uniqueLocalpart('sdk');
      const submitted: (string | undefined)[] = [];
      const registration = new InteractiveAuth<RegisterResponse>({
        matrixClient: sdk,
        doRequest: (auth) => {
          submitted.push((auth as { type?: string } | null)?.type);
          return sdk.registerRequest({ username: localpart, password: PASSWORD, ...(auth ? { auth } : {}) });
        },
        stateUpdated: () => undefined,
        requestEmailToken: () => Promise.reject(new Error('no email')),
      });
      const registered = await registration.attemptAuth();
      expect(registered.user_id).toBe(`@${localpart}:localhost`);
      // First without auth (answered 401 with the flows), then the dummy stage the SDK picked.
      expect(submitted).toEqual([undefined, AuthType.Dummy]);

      const loggedIn = await sdk.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: PASSWORD });
      const client = createClient({ baseUrl: runtime.httpUrl, accessToken: loggedIn.access_token, userId: loggedIn.user_id, deviceId: loggedIn.device_id });
      expect((await client.whoami()).device_id).toBe(loggedIn.device_id);
      expect((await client.getDevices()).devices.map((d) => d.device_id).sort()).toEqual([registered.device_id!, loggedIn.device_id].sort());

      const deletion = new InteractiveAuth<unknown>({
        matrixClient: client,
        doRequest: (auth) => client.deleteDevice(registered.device_id!, auth ?? undefined),
        stateUpdated: (stage) => {
          if (stage === AuthType.Password) {
            void deletion.submitAuthDict({ type: AuthType.Password, identifier: { type: 'm.id.user', user: localpart }, password: PASSWORD });
          }
        },
        requestEmailToken: () => Promise.reject(new Error('no email')),
      });
      await deletion.attemptAuth();
      expectError(await whoami(registered.access_token!), 401, 'M_UNKNOWN_TOKEN');
      expect((await client.getDevices()).devices.map((d) => d.device_id)).toEqual([loggedIn.device_id]);

      await client.logout();
      expectError(await whoami(loggedIn.access_token), 401, 'M_UNKNOWN_TOKEN');
    });
  });
});
