// Removed devices and device_lists.left through the local runtime: deleting a device (DELETE
// /devices, delete_devices, logout, logout/all) drops its device, one-time and fallback keys and
// to-device inbox and is one device-list change for co-members; a removal bigger than one
// transaction finishes in continuation records; a late duplicate spares a device logged in again;
// users who stop sharing every room appear in `left` (not in `changed`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { deviceKeyOwner } from '../../lib/matrix/keys/commands.ts';
import { deviceKeys, fallbackKeys, oneTimeKeys, toDeviceInbox } from '../../lib/matrix/pstates.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom } from './rooms-support.ts';
import { deviceKeysFor, redeliverToKeysTopology, signingKey, v3 } from './keys-support.ts';

type DeviceLists = { next_batch: string; device_lists: { changed: string[]; left: string[] } };
const ALG = 'signed_curve25519';
const PASSWORD = 'correct horse battery staple';
const auth = (user: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: PASSWORD });

function oneTimeKeysNamed(prefix: string, n: number) {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${ALG}:${prefix}${i}`, { key: `${prefix}-${i}`, signatures: {} }]));
}

/** Everything the keys topology holds for one device. */
async function heldFor(user: RegisteredUser) {
  const owner = deviceKeyOwner(user.userId, user.deviceId);
  const [keys, otks, fallbacks, inbox] = await Promise.all([
    deviceKeys.key(user.userId).key(user.deviceId).get({ consistent: true }),
    oneTimeKeys.key(owner).count({ consistent: true }),
    fallbackKeys.key(owner).count({ consistent: true }),
    toDeviceInbox.key(owner).count({ consistent: true }),
  ]);
  return { deviceKeys: keys !== undefined, otks, fallbacks, inbox };
}

describe('removed devices and left users', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  beforeAll(async () => {
    runtime = await startTestRuntime('keys-devices');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  const sync = (by: RegisteredUser, since?: string) =>
    by.client.get<DeviceLists>(`${v3}/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`);

  /** A new device of `user` holding device keys, one-time keys, a fallback key and a to-device message. */
  async function equippedDevice(user: RegisteredUser, otks = 3): Promise<RegisteredUser> {
    const device = await loginUser(new TestClient(runtime.httpUrl), user.userId);
    await device.client.post(`${v3}/keys/upload`, {
      device_keys: deviceKeysFor(device, signingKey()),
      fallback_keys: { [`${ALG}:fb`]: { key: 'fb', fallback: true, signatures: {} } },
    });
    for (let i = 0; i < otks; i += 80) await device.client.post(`${v3}/keys/upload`, { one_time_keys: oneTimeKeysNamed(`k${i}_`, Math.min(80, otks - i)) });
    await alice.client.put(`${v3}/sendToDevice/m.test/${device.deviceId}`, { messages: { [user.userId]: { [device.deviceId]: { hi: 1 } } } });
    expect(await heldFor(device)).toEqual({ deviceKeys: true, otks, fallbacks: 1, inbox: 1 });
    return device;
  }

  const gone = { deviceKeys: false, otks: 0, fallbacks: 0, inbox: 0 };

  it('DELETE /devices drops the device\'s keys and inbox; co-members see one change', async () => {
    const device = await equippedDevice(bob);
    const from = (await sync(alice)).body.next_batch;
    expect((await bob.client.delete(`${v3}/devices/${device.deviceId}`, { auth: auth(bob.userId) })).status).toBe(200);
    await expect.poll(() => heldFor(device)).toEqual(gone);
    const query = await alice.client.post<{ device_keys: Record<string, Record<string, unknown>> }>(`${v3}/keys/query`, { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(query.body.device_keys[bob.userId]!)).not.toContain(device.deviceId);
    const first = await sync(alice, from);
    expect(first.body.device_lists).toEqual({ changed: [bob.userId], left: [] });
    expect((await sync(alice, first.body.next_batch)).body.device_lists).toEqual({ changed: [], left: [] });
  });

  it('delete_devices, logout and logout/all drop the keys of every device they remove', async () => {
    const [one, two] = [await equippedDevice(bob), await equippedDevice(bob)];
    expect((await bob.client.post(`${v3}/delete_devices`, { devices: [one.deviceId, two.deviceId], auth: auth(bob.userId) })).status).toBe(200);
    const loggingOut = await equippedDevice(bob);
    expect((await loggingOut.client.post(`${v3}/logout`, {})).status).toBe(200);
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const carolOther = await equippedDevice(carol);
    expect((await carol.client.post(`${v3}/logout/all`, {})).status).toBe(200);
    for (const device of [one, two, loggingOut, carolOther]) await expect.poll(() => heldFor(device)).toEqual(gone);
  });

  it('finishes a removal bigger than one transaction in continuation records', async () => {
    const device = await equippedDevice(bob, 170);
    expect((await bob.client.delete(`${v3}/devices/${device.deviceId}`, { auth: auth(bob.userId) })).status).toBe(200);
    await expect.poll(() => heldFor(device), { timeout: 30_000 }).toEqual(gone);
  });

  it('a late duplicate of a removal spares the device logged in again with the same id', async () => {
    const device = await equippedDevice(bob);
    expect((await bob.client.delete(`${v3}/devices/${device.deviceId}`, { auth: auth(bob.userId) })).status).toBe(200);
    await expect.poll(() => heldFor(device)).toEqual(gone);
    const again = await new TestClient(runtime.httpUrl).post<{ access_token: string }>(`${v3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: PASSWORD, device_id: device.deviceId,
    });
    expect(again.status).toBe(200);
    const back = { ...device, client: new TestClient(runtime.httpUrl, again.body.access_token) };
    await back.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(back, signingKey()), one_time_keys: oneTimeKeysNamed('again', 2) });
    const found = await redeliverToKeysTopology((p) => p.kind === 'keys.devicesRemoved' && p.userId === bob.userId && (p.deviceIds as string[]).includes(device.deviceId));
    expect(found).toBeGreaterThanOrEqual(1);
    expect(await heldFor(back)).toEqual({ deviceKeys: true, otks: 2, fallbacks: 0, inbox: 0 });
  });

  it('lists in `left` (and not in `changed`) whoever stops sharing every room, by their leave or ours', async () => {
    const [dave, erin] = [await registerUser(new TestClient(runtime.httpUrl)), await registerUser(new TestClient(runtime.httpUrl))];
    const other = await createRoom(alice.client, { preset: 'public_chat' });
    for (const u of [dave, erin]) expect((await u.client.post(`${v3}/join/${encodeURIComponent(other)}`, {})).status).toBe(200);
    // bob shares `roomId` with alice too, so his leaving `other` does not make him "left".
    expect((await bob.client.post(`${v3}/join/${encodeURIComponent(other)}`, {})).status).toBe(200);
    const from = (await sync(alice)).body.next_batch;
    await dave.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(dave, signingKey()) });
    expect((await dave.client.post(`${v3}/rooms/${encodeURIComponent(other)}/leave`, {})).status).toBe(200);
    expect((await bob.client.post(`${v3}/rooms/${encodeURIComponent(other)}/leave`, {})).status).toBe(200);
    const first = await sync(alice, from);
    expect(first.body.device_lists.left).toEqual([dave.userId]);
    expect(first.body.device_lists.changed).not.toContain(dave.userId);
    const changes = await alice.client.get(`${v3}/keys/changes?from=${encodeURIComponent(from)}&to=${encodeURIComponent(first.body.next_batch)}`);
    expect(changes.body).toMatchObject({ left: [dave.userId] });
    expect((await sync(alice, first.body.next_batch)).body.device_lists.left).toEqual([]);

    // Now alice leaves: erin, with whom she shared only that room, is left for her.
    const before = (await sync(alice)).body.next_batch;
    expect((await alice.client.post(`${v3}/rooms/${encodeURIComponent(other)}/leave`, {})).status).toBe(200);
    const afterLeave = await sync(alice, before);
    expect(afterLeave.body.device_lists.left).toEqual([erin.userId]);
    expect((await sync(alice, afterLeave.body.next_batch)).body.device_lists.left).toEqual([]);
  });
});
