// Synapse's admin device deletion (element-hq/synapse docs/admin_api/user_admin_api.md, "Delete a
// device", "Delete multiple devices"): the devices' access tokens stop working, their keys and
// pushers go, as when the user deletes them; other devices stay. Admin-only, inputs validated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { loginUser, registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { call, shaped } from '../support/synapse-admin.ts';
import { deviceKeysFor, signingKey, v3 } from './keys-support.ts';

const id = encodeURIComponent;
const empty = z.strictObject({});

describe('Synapse admin device deletion', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let root: RegisteredUser;
  let dora: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('synapse-admin-devices');
    anonymous = new TestClient(runtime.httpUrl);
    [root, dora] = await Promise.all([registerUser(anonymous, uniqueLocalpart('root')), registerUser(anonymous, uniqueLocalpart('dora'))]);
    await submitAccountCommand('account.setAdmin', root.userId, { admin: true });
  });
  afterAll(() => runtime?.stop());

  /** A new device of dora with device keys and a pusher. */
  async function equippedDevice(): Promise<RegisteredUser> {
    const device = await loginUser(anonymous, dora.userId);
    expect((await device.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(device, signingKey()) })).status).toBe(200);
    const pusher = { kind: 'http', app_id: 'org.example.app', pushkey: `key-${device.deviceId}`, app_display_name: 'App', device_display_name: 'Phone', lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify' } };
    expect((await device.client.post(`${v3}/pushers/set`, pusher)).status).toBe(200);
    return device;
  }

  const deviceIds = async () => (await call<{ devices: { device_id: string }[] }>(root.client, 'GET', `/v2/users/${id(dora.userId)}/devices`)).body.devices.map((d) => d.device_id).sort();
  const pushkeys = async () => (await call<{ pushers: { pushkey: string }[] }>(root.client, 'GET', `/v1/users/${id(dora.userId)}/pushers`)).body.pushers.map((p) => p.pushkey).sort();
  const keyedDevices = async () => {
    const query = await root.client.post<{ device_keys: Record<string, Record<string, unknown>> }>(`${v3}/keys/query`, { device_keys: { [dora.userId]: [] } });
    return Object.keys(query.body.device_keys[dora.userId] ?? {}).sort();
  };

  it('deletes one device: its token stops working, its keys and pusher go, the others stay', async () => {
    const [doomed, kept] = [await equippedDevice(), await equippedDevice()];
    expect(await keyedDevices()).toEqual([doomed.deviceId, kept.deviceId].sort());
    shaped(empty, await call(root.client, 'DELETE', `/v2/users/${id(dora.userId)}/devices/${id(doomed.deviceId)}`, {}));
    expectError(await doomed.client.get(`${v3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    expect((await kept.client.get(`${v3}/account/whoami`)).status).toBe(200);
    expect(await deviceIds()).not.toContain(doomed.deviceId);
    expect(await deviceIds()).toContain(kept.deviceId);
    expect(await pushkeys()).toEqual(expect.not.arrayContaining([`key-${doomed.deviceId}`]));
    expect(await pushkeys()).toContain(`key-${kept.deviceId}`);
    // The keys topology drops the device's keys after the users topology's commit.
    await expect.poll(keyedDevices).toEqual([kept.deviceId]);
    // An unknown device is no error (Synapse deletes nothing and answers {}).
    shaped(empty, await call(root.client, 'DELETE', `/v2/users/${id(dora.userId)}/devices/NOSUCHDEVICE`, {}));
  });

  it('deletes several devices at once, skipping unknown ids', async () => {
    const [one, two, kept] = [await equippedDevice(), await equippedDevice(), await equippedDevice()];
    shaped(empty, await call(root.client, 'POST', `/v2/users/${id(dora.userId)}/delete_devices`, { devices: [one.deviceId, two.deviceId, 'NOSUCHDEVICE', one.deviceId] }));
    for (const gone of [one, two]) expectError(await gone.client.get(`${v3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    expect((await kept.client.get(`${v3}/account/whoami`)).status).toBe(200);
    const left = await deviceIds();
    expect(left).toContain(kept.deviceId);
    for (const gone of [one, two]) {
      expect(left).not.toContain(gone.deviceId);
      expect(await pushkeys()).not.toContain(`key-${gone.deviceId}`);
    }
    await expect.poll(keyedDevices).not.toContain(one.deviceId);
    await expect.poll(keyedDevices).not.toContain(two.deviceId);
  });

  it('is for server admins only and validates its input as Synapse does', async () => {
    const path = `/v2/users/${id(dora.userId)}`;
    expectError(await call(dora.client, 'DELETE', `${path}/devices/${id(dora.deviceId)}`, {}), 403, 'M_FORBIDDEN');
    expectError(await call(dora.client, 'POST', `${path}/delete_devices`, { devices: [dora.deviceId] }), 403, 'M_FORBIDDEN');
    expectError(await call(anonymous, 'POST', `${path}/delete_devices`, { devices: [dora.deviceId] }), 401, 'M_MISSING_TOKEN');
    expect((await dora.client.get(`${v3}/account/whoami`)).status).toBe(200);

    expectError(await call(root.client, 'POST', `${path}/delete_devices`), 400, 'M_NOT_JSON');
    expectError(await call(root.client, 'POST', `${path}/delete_devices`, {}), 400, 'M_MISSING_PARAM');
    expectError(await call(root.client, 'POST', `${path}/delete_devices`, { devices: 'all' }), 400, 'M_BAD_JSON');
    expectError(await call(root.client, 'POST', `${path}/delete_devices`, { devices: [1] }), 400, 'M_BAD_JSON');
    expectError(await call(root.client, 'POST', `/v2/users/${id('@someone:elsewhere.example')}/delete_devices`, { devices: [] }), 400, 'M_UNKNOWN');
    expectError(await call(root.client, 'DELETE', `/v2/users/${id('@someone:elsewhere.example')}/devices/X`, {}), 400, 'M_UNKNOWN');
    expectError(await call(root.client, 'DELETE', `/v2/users/${id(`@${uniqueLocalpart('nobody')}:localhost`)}/devices/X`, {}), 404, 'M_NOT_FOUND');
    expectError(await call(root.client, 'DELETE', '/v2/users/not-a-user/devices/X', {}), 400, 'M_INVALID_PARAM');
    expect((await dora.client.get(`${v3}/account/whoami`)).status).toBe(200);
  });
});
