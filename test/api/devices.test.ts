// Device management through the HTTP API: list, read, rename, delete (with UIA).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { MAX_DEVICES_PER_USER } from '../../lib/matrix/accounts/commands.ts';
import { accessTokens, devices } from '../../lib/matrix/pstates.ts';
import { hashAccessToken } from '../../lib/matrix/passwords.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';
const auth = (user: string, password = PASSWORD) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });

interface Device {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

describe('devices', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  let alice: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('devices');
    anon = new TestClient(runtime.httpUrl);
    alice = await registerUser(anon);
  });
  afterAll(() => runtime?.stop());

  const whoami = (token: string) => anon.get(`${v3}/account/whoami`, { token });

  it('lists the devices of the user with their names and last-seen data, and only theirs', async () => {
    const laptop = await anon.post<{ device_id: string }>(`${v3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password: PASSWORD,
      initial_device_display_name: 'Laptop',
    });
    await registerUser(anon);
    const res = await alice.client.get<{ devices: Device[] }>(`${v3}/devices`);
    expect(res.status).toBe(200);
    expect(res.body.devices.map((d) => d.device_id).sort()).toEqual([alice.deviceId, laptop.body.device_id].sort());
    const listed = res.body.devices.find((d) => d.device_id === laptop.body.device_id)!;
    expect(listed.display_name).toBe('Laptop');
    expect(listed.last_seen_ip).toBe('127.0.0.1');
    expect(typeof listed.last_seen_ts).toBe('number');
  });

  it('reads one device, 404 for an unknown one or one of another user', async () => {
    expect((await alice.client.get<Device>(`${v3}/devices/${alice.deviceId}`)).body.device_id).toBe(alice.deviceId);
    expectError(await alice.client.get(`${v3}/devices/NOSUCHDEVICE`), 404, 'M_NOT_FOUND');
    const bob = await registerUser(anon);
    expectError(await alice.client.get(`${v3}/devices/${bob.deviceId}`), 404, 'M_NOT_FOUND');
    expectError(await anon.get(`${v3}/devices`), 401, 'M_MISSING_TOKEN');
  });

  it('renames a device; unknown devices are 404 and bad bodies 400, changing nothing', async () => {
    expect((await alice.client.put(`${v3}/devices/${alice.deviceId}`, { display_name: 'Renamed' })).body).toEqual({});
    expect((await alice.client.get<Device>(`${v3}/devices/${alice.deviceId}`)).body.display_name).toBe('Renamed');
    expect((await alice.client.put(`${v3}/devices/${alice.deviceId}`, {})).status).toBe(200);
    expectError(await alice.client.put(`${v3}/devices/NOSUCHDEVICE`, { display_name: 'x' }), 404, 'M_NOT_FOUND');
    expect(await devices.key(alice.userId).has('NOSUCHDEVICE', { consistent: true })).toBe(false);
    expectError(await alice.client.put(`${v3}/devices/${alice.deviceId}`, { display_name: 7 }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(`${v3}/devices/${alice.deviceId}`, { display_name: 'x'.repeat(101) }), 400, 'M_INVALID_PARAM');
    expect((await alice.client.get<Device>(`${v3}/devices/${alice.deviceId}`)).body.display_name).toBe('Renamed');
  });

  it('deletes a device after the password stage; its token dies at once', async () => {
    const phone = await loginUser(anon, alice.userId);
    const path = `${v3}/devices/${phone.deviceId}`;
    const first = await alice.client.delete<{ session: string; flows: unknown }>(path, {});
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await alice.client.delete(path, { auth: { ...auth(alice.userId, 'bad'), session: first.body.session } });
    expectError(wrong, 401, 'M_FORBIDDEN');
    expect((await whoami(phone.accessToken)).status).toBe(200);

    expect((await alice.client.delete(path, { auth: { ...auth(alice.userId), session: first.body.session } })).status).toBe(200);
    expectError(await whoami(phone.accessToken), 401, 'M_UNKNOWN_TOKEN');
    expect(await accessTokens.key(hashAccessToken(phone.accessToken)).get({ consistent: true })).toBeUndefined();
    expectError(await alice.client.get(path), 404, 'M_NOT_FOUND');
    // Deleting a device that is gone is not an error.
    expect((await alice.client.delete(path, { auth: auth(alice.userId) })).status).toBe(200);
  });

  // Complement apidoc_device_management_test "DELETE /device/{deviceId} requires UI auth user to match device owner".
  it('refuses with 403 a password stage completed as another user, and keeps the device', async () => {
    const bob = await registerUser(anon);
    const phone = await loginUser(anon, alice.userId);
    const path = `${v3}/devices/${phone.deviceId}`;
    expectError(await alice.client.delete(path, { auth: auth(bob.userId) }), 403, 'M_FORBIDDEN');
    expect((await alice.client.get(path)).status).toBe(200);
    expect((await whoami(phone.accessToken)).status).toBe(200);
    expect((await alice.client.delete(path, { auth: auth(alice.userId) })).status).toBe(200);
  });

  it('deletes several devices with delete_devices, leaving the others and other users alone', async () => {
    const a = await loginUser(anon, alice.userId);
    const b = await loginUser(anon, alice.userId);
    const c = await loginUser(anon, alice.userId);
    const bob = await registerUser(anon);
    expectError(await alice.client.post(`${v3}/delete_devices`, { auth: auth(alice.userId) }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/delete_devices`, { devices: 'A', auth: auth(alice.userId) }), 400, 'M_BAD_JSON');
    const first = await alice.client.post(`${v3}/delete_devices`, { devices: [a.deviceId, b.deviceId] });
    expect(first.status).toBe(401);
    expect((await whoami(a.accessToken)).status).toBe(200);

    const res = await alice.client.post(`${v3}/delete_devices`, { devices: [a.deviceId, b.deviceId, bob.deviceId], auth: auth(alice.userId) });
    expect(res.status).toBe(200);
    expectError(await whoami(a.accessToken), 401, 'M_UNKNOWN_TOKEN');
    expectError(await whoami(b.accessToken), 401, 'M_UNKNOWN_TOKEN');
    expect((await whoami(c.accessToken)).status).toBe(200);
    expect((await whoami(bob.accessToken)).status).toBe(200);
  });

  it('caps the devices of a user, and logs a full set out in one go', async () => {
    const eve = await registerUser(anon);
    const tokens: string[] = [];
    const ops = [];
    // Fill up to the cap directly: logging in 39 times would only make this test slow.
    for (let i = 1; i < MAX_DEVICES_PER_USER; i++) {
      const token = `syt_test_${i}_${Math.random().toString(36).slice(2)}`;
      tokens.push(token);
      const tokenHash = hashAccessToken(token);
      ops.push(devices.key(eve.userId).key(`FILL${i}`).set({ displayName: '', createdTs: 1, lastSeenTs: 1, lastSeenIp: '', tokenHash, refreshHash: '', previousRefreshHash: '' }));
      ops.push(accessTokens.key(tokenHash).set({ userId: eve.userId, deviceId: `FILL${i}`, createdTs: 1, locked: false, shadowBanned: false, ratelimit: null, expiresTs: 0 }));
    }
    await commit(ops);
    expect(await devices.key(eve.userId).count({ consistent: true })).toBe(MAX_DEVICES_PER_USER);
    expect((await whoami(tokens[0]!)).status).toBe(200);

    const refused = await anon.post(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: eve.userId }, password: PASSWORD });
    expectError(refused, 403, 'M_FORBIDDEN');
    expect(await devices.key(eve.userId).count({ consistent: true })).toBe(MAX_DEVICES_PER_USER);
    // A known device id is not a new device: logging in with it still works.
    const again = await anon.post(`${v3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: eve.userId },
      password: PASSWORD,
      device_id: 'FILL1',
    });
    expect(again.status).toBe(200);
    expectError(await whoami(tokens[0]!), 401, 'M_UNKNOWN_TOKEN');

    expect((await eve.client.post(`${v3}/logout/all`)).status).toBe(200);
    expect(await devices.key(eve.userId).count({ consistent: true })).toBe(0);
    for (const token of [eve.accessToken, tokens[1]!, tokens[MAX_DEVICES_PER_USER - 2]!]) expectError(await whoami(token), 401, 'M_UNKNOWN_TOKEN');
  });
});
