// Pushers: POST /pushers/set adds, replaces and deletes a user's pushers through the users depot
// (a non-appending set takes the app id + pushkey from other users); GET /pushers lists them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';

const pusher = (overrides: Record<string, unknown> = {}) => ({
  kind: 'http',
  app_id: 'im.axon.test.web',
  pushkey: 'key-1',
  app_display_name: 'Axon Test',
  device_display_name: 'Laptop',
  lang: 'en',
  data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
  ...overrides,
});

describe('pushers', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  const list = async (user: RegisteredUser) => {
    const res = await user.client.get<{ pushers: Record<string, unknown>[] }>(`${v3}/pushers`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.pushers.sort((a, b) => String(a.pushkey).localeCompare(String(b.pushkey)));
  };
  const set = async (user: RegisteredUser, body: unknown) => {
    const res = await user.client.post(`${v3}/pushers/set`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({});
  };

  beforeAll(async () => {
    runtime = await startTestRuntime('pushers');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('adds, replaces and deletes a pusher by app id and pushkey', async () => {
    expect(await list(alice)).toEqual([]);
    await set(alice, pusher({ profile_tag: 'tag' }));
    expect(await list(alice)).toEqual([pusher({ profile_tag: 'tag' })]);
    await set(alice, pusher({ device_display_name: 'Phone' }));
    await set(alice, pusher({ pushkey: 'key-2' }));
    expect(await list(alice)).toEqual([pusher({ device_display_name: 'Phone' }), pusher({ pushkey: 'key-2' })]);
    await set(alice, { kind: null, app_id: 'im.axon.test.web', pushkey: 'key-2' });
    // Deleting a pusher that is not there is fine.
    await set(alice, { kind: null, app_id: 'im.axon.test.web', pushkey: 'nope' });
    expect(await list(alice)).toEqual([pusher({ device_display_name: 'Phone' })]);
  });

  it('a set without append takes the pushkey from other users; with append both keep it', async () => {
    const shared = pusher({ app_id: 'im.axon.shared', pushkey: 'shared-key' });
    await set(alice, shared);
    await set(carol, { ...shared, append: true });
    expect((await list(alice)).map((p) => p.pushkey)).toContain('shared-key');
    expect(await list(carol)).toEqual([shared]);
    await set(bob, shared);
    expect(await list(bob)).toEqual([shared]);
    expect((await list(alice)).map((p) => p.pushkey)).not.toContain('shared-key');
    expect(await list(carol)).toEqual([]);
  });

  it('refuses invalid pushers and writes nothing', async () => {
    const before = await list(bob);
    const post = (body: unknown) => bob.client.post(`${v3}/pushers/set`, body);
    const { kind: _kind, ...noKind } = pusher();
    expectError(await post(noKind), 400, 'M_MISSING_PARAM');
    const { app_id: _appId, ...noAppId } = pusher();
    expectError(await post(noAppId), 400, 'M_MISSING_PARAM');
    const { data: _data, lang: _lang, ...noData } = pusher();
    expectError(await post(noData), 400, 'M_MISSING_PARAM');
    expectError(await post(pusher({ data: {} })), 400, 'M_MISSING_PARAM');
    expectError(await post(pusher({ data: { url: 'https://push.example.org/elsewhere' } })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ data: { url: 'not a url' } })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ app_id: 'x'.repeat(65) })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ pushkey: 'k'.repeat(513) })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ kind: 'email' })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ kind: 7 })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ append: 'yes' })), 400, 'M_INVALID_PARAM');
    expectError(await post(pusher({ lang: 5 })), 400, 'M_INVALID_PARAM');
    expectError(await bob.client.post(`${v3}/pushers/set`, undefined, { rawBody: '{not json' }), 400, 'M_NOT_JSON');
    expect(await list(bob)).toEqual(before);
  });

  // Complement's account_change_password_pushers_test: Synapse deletes the pushers of the tokens it deletes
  it('a password change deletes the pushers other devices set, not its own; logout deletes its own', async () => {
    const password = 'correct horse battery staple';
    const erin = await registerUser(new TestClient(runtime.httpUrl), undefined, password);
    const other = await loginUser(new TestClient(runtime.httpUrl), erin.userId, password);
    await set(other, pusher({ pushkey: 'other-device' }));
    await set(erin, pusher({ pushkey: 'this-device' }));
    expect((await list(erin)).map((p) => p.pushkey)).toEqual(['other-device', 'this-device']);
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: erin.userId }, password };
    expect((await erin.client.post(`${v3}/account/password`, { new_password: 'another secret', auth })).status).toBe(200);
    expect(await list(erin)).toEqual([pusher({ pushkey: 'this-device' })]);
    expectError(await other.client.get(`${v3}/pushers`), 401, 'M_UNKNOWN_TOKEN');
    // with logout_devices: false nobody is logged out and no pusher goes
    const third = await loginUser(new TestClient(runtime.httpUrl), erin.userId, 'another secret');
    await set(third, pusher({ pushkey: 'third-device' }));
    const auth2 = { ...auth, password: 'another secret' };
    expect((await erin.client.post(`${v3}/account/password`, { new_password: 'a third secret', logout_devices: false, auth: auth2 })).status).toBe(200);
    expect((await list(third)).map((p) => p.pushkey)).toEqual(['third-device', 'this-device']);
    // a device logging out takes its pushers with it
    expect((await third.client.post(`${v3}/logout`, {})).status).toBe(200);
    expect(await list(erin)).toEqual([pusher({ pushkey: 'this-device' })]);
  });

  it('needs an access token', async () => {
    const anonymous = new TestClient(runtime.httpUrl);
    expectError(await anonymous.get(`${v3}/pushers`), 401, 'M_MISSING_TOKEN');
    expectError(await anonymous.post(`${v3}/pushers/set`, pusher()), 401, 'M_MISSING_TOKEN');
  });
});
