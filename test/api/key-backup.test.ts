// Server-side key backup through the local runtime: session keys into the current version (the
// spec's replacement rule, count and etag), reads and deletes at every level, wrong and unknown
// versions, version updates and deletion, requests split over several commands, redelivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { keyBackupKeys } from '../../lib/matrix/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { redeliverToKeysTopology, v3 } from './keys-support.ts';

const ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
const room = '!backup:localhost';
const enc = encodeURIComponent;

function key(first_message_index: number, forwarded_count: number, is_verified: boolean, tag = 'x') {
  return { first_message_index, forwarded_count, is_verified, session_data: { ephemeral: tag, ciphertext: tag, mac: tag } };
}

type Counters = { etag: string; count: number };

describe('key backup keys', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('key-backup-keys');
    alice = await registerUser(new TestClient(runtime.httpUrl));
  });
  afterAll(() => runtime?.stop());

  const newVersion = async (user: RegisteredUser) =>
    (await user.client.post<{ version: string }>(`${v3}/room_keys/version`, { algorithm: ALG, auth_data: { public_key: 'pk' } })).body.version;
  const keysPath = (version: string, ...rest: string[]) => `${v3}/room_keys/keys${rest.map((p) => `/${enc(p)}`).join('')}?version=${version}`;

  it('stores session keys at every level, counts them and changes the etag only when keys change', async () => {
    const version = await newVersion(alice);
    const empty = await alice.client.get<Counters>(`${v3}/room_keys/version`);
    expect(empty.body).toMatchObject({ version, count: 0, etag: '0' });

    const one = await alice.client.put<Counters>(keysPath(version, room, 's1'), key(5, 0, false));
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ etag: '1', count: 1 });
    const two = await alice.client.put<Counters>(keysPath(version, room), { sessions: { s2: key(0, 0, false) } });
    expect(two.body).toEqual({ etag: '2', count: 2 });
    const three = await alice.client.put<Counters>(keysPath(version), { rooms: { '!other:localhost': { sessions: { s3: key(0, 0, true) } } } });
    expect(three.body).toEqual({ etag: '3', count: 3 });

    expect((await alice.client.get(keysPath(version, room, 's1'))).body).toEqual(key(5, 0, false));
    expect((await alice.client.get(keysPath(version, room))).body).toEqual({ sessions: { s1: key(5, 0, false), s2: key(0, 0, false) } });
    expect((await alice.client.get(keysPath(version))).body).toEqual({
      rooms: { [room]: { sessions: { s1: key(5, 0, false), s2: key(0, 0, false) } }, '!other:localhost': { sessions: { s3: key(0, 0, true) } } },
    });
    expect((await alice.client.get(keysPath(version, '!nothing:localhost'))).body).toEqual({ sessions: {} });
    expectError(await alice.client.get(keysPath(version, room, 'nope')), 404, 'M_NOT_FOUND');
    expect((await alice.client.get(`${v3}/room_keys/version/${version}`)).body).toMatchObject({ count: 3, etag: '3' });
  });

  it('replaces a backed-up key only by a better one (verified, then lower first index, then fewer forwards)', async () => {
    const version = await newVersion(alice);
    const put = (k: ReturnType<typeof key>) => alice.client.put<Counters>(keysPath(version, room, 'r'), k);
    const read = async () => (await alice.client.get(keysPath(version, room, 'r'))).body;
    await put(key(3, 2, false, 'first'));
    expect((await put(key(4, 0, false, 'worse index'))).body).toEqual({ etag: '1', count: 1 });
    expect(await read()).toEqual(key(3, 2, false, 'first'));
    await put(key(3, 1, false, 'fewer forwards'));
    expect(await read()).toEqual(key(3, 1, false, 'fewer forwards'));
    await put(key(1, 5, false, 'lower index'));
    expect(await read()).toEqual(key(1, 5, false, 'lower index'));
    await put(key(9, 9, true, 'verified'));
    expect(await read()).toEqual(key(9, 9, true, 'verified'));
    // An unverified key never replaces a verified one, however good.
    expect((await put(key(0, 0, false, 'unverified'))).body).toEqual({ etag: '4', count: 1 });
    expect(await read()).toEqual(key(9, 9, true, 'verified'));
  });

  it('deletes a session, a room and everything, keeping count and etag right', async () => {
    const version = await newVersion(alice);
    await alice.client.put(keysPath(version), {
      rooms: { [room]: { sessions: { a: key(0, 0, false), b: key(0, 0, false) } }, '!two:localhost': { sessions: { c: key(0, 0, false) } } },
    });
    expect((await alice.client.delete<Counters>(keysPath(version, room, 'a'))).body).toEqual({ etag: '2', count: 2 });
    expect((await alice.client.delete<Counters>(keysPath(version, room, 'a'))).body).toEqual({ etag: '2', count: 2 });
    expect((await alice.client.delete<Counters>(keysPath(version, room))).body).toEqual({ etag: '3', count: 1 });
    expect((await alice.client.delete<Counters>(keysPath(version))).body).toEqual({ etag: '4', count: 0 });
    expect((await alice.client.get(keysPath(version))).body).toEqual({ rooms: {} });
  });

  it('takes a request bigger than one transaction in several commands, and refuses one over the limit', async () => {
    const version = await newVersion(alice);
    const sessions = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`big${i}`, key(0, 0, false, String(i))]));
    expect((await alice.client.put<Counters>(keysPath(version, room), { sessions })).body).toEqual({ etag: '3', count: 200 });
    expect(Object.keys((await alice.client.get<{ sessions: object }>(keysPath(version, room))).body.sessions)).toHaveLength(200);
    const tooMany = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`t${i}`, key(0, 0, false)]));
    expectError(await alice.client.put(keysPath(version, room), { sessions: tooMany }), 413, 'M_TOO_LARGE');
    expect((await alice.client.delete<Counters>(keysPath(version))).body).toMatchObject({ count: 0 });
  });

  it('answers a wrong version with M_WRONG_ROOM_KEYS_VERSION, an unknown one with M_NOT_FOUND, bad input with 400', async () => {
    const bob = await registerUser(new TestClient(runtime.httpUrl));
    expectError(await bob.client.put(keysPath('1', room, 's'), key(0, 0, false)), 404, 'M_NOT_FOUND');
    const old = await newVersion(bob);
    const current = await newVersion(bob);
    const wrong = await bob.client.put<{ current_version: string }>(keysPath(old, room, 's'), key(0, 0, false));
    expectError(wrong, 403, 'M_WRONG_ROOM_KEYS_VERSION');
    expect(wrong.body.current_version).toBe(current);
    expectError(await bob.client.put(keysPath('99', room), { sessions: {} }), 404, 'M_NOT_FOUND');
    expectError(await bob.client.get(keysPath('bogus')), 404, 'M_NOT_FOUND');
    expectError(await bob.client.get(`${v3}/room_keys/keys`), 400, 'M_MISSING_PARAM');
    expectError(await bob.client.put(keysPath(current, room, 's'), { first_message_index: 0 }), 400, 'M_MISSING_PARAM');
    expectError(await bob.client.put(keysPath(current, room, 's'), { ...key(0, 0, false), is_verified: 'yes' }), 400, 'M_BAD_JSON');
    expectError(await bob.client.put(keysPath(current), { rooms: 'x' }), 400, 'M_BAD_JSON');
    expectError(await new TestClient(runtime.httpUrl).get(keysPath(current)), 401, 'M_MISSING_TOKEN');
    // Nothing was stored by any of them.
    expect(await keyBackupKeys.key(`${bob.userId}\u0000${old}`).count({ consistent: true })).toBe(0);
    expect(await keyBackupKeys.key(`${bob.userId}\u0000${current}`).count({ consistent: true })).toBe(0);
  });

  it('updates a version\'s auth_data (same algorithm) and deletes a version with its keys', async () => {
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const first = await newVersion(carol);
    const second = await newVersion(carol);
    await carol.client.put(keysPath(second, room, 's'), key(0, 0, false));
    expect((await carol.client.put(`${v3}/room_keys/version/${second}`, { algorithm: ALG, auth_data: { public_key: 'new' }, version: second })).status).toBe(200);
    expect((await carol.client.get(`${v3}/room_keys/version/${second}`)).body).toMatchObject({ auth_data: { public_key: 'new' }, count: 1 });
    expectError(await carol.client.put(`${v3}/room_keys/version/${second}`, { algorithm: 'other', auth_data: {} }), 400, 'M_INVALID_PARAM');
    expectError(await carol.client.put(`${v3}/room_keys/version/${second}`, { algorithm: ALG, auth_data: {}, version: first }), 400, 'M_INVALID_PARAM');
    expectError(await carol.client.put(`${v3}/room_keys/version/77`, { algorithm: ALG, auth_data: {} }), 404, 'M_NOT_FOUND');
    expectError(await carol.client.put(`${v3}/room_keys/version/${second}`, { auth_data: {} }), 400, 'M_MISSING_PARAM');

    expect((await carol.client.delete(`${v3}/room_keys/version/${second}`)).status).toBe(200);
    expectError(await carol.client.delete(`${v3}/room_keys/version/${second}`), 404, 'M_NOT_FOUND');
    expectError(await carol.client.get(`${v3}/room_keys/version/${second}`), 404, 'M_NOT_FOUND');
    expectError(await carol.client.get(keysPath(second)), 404, 'M_NOT_FOUND');
    expect(await keyBackupKeys.key(`${carol.userId}\u0000${second}`).count({ consistent: true })).toBe(0);
    // The older one is current again; a new version gets a new number.
    expect((await carol.client.get(`${v3}/room_keys/version`)).body).toMatchObject({ version: first });
    expect(await newVersion(carol)).toBe(String(Number(second) + 1));
  });

  it('applies a redelivered backup upload once', async () => {
    const dave = await registerUser(new TestClient(runtime.httpUrl));
    const version = await newVersion(dave);
    await dave.client.put(keysPath(version, room, 'once'), key(2, 0, false, 'first'));
    expect((await dave.client.delete<Counters>(keysPath(version, room, 'once'))).body).toEqual({ etag: '2', count: 0 });
    // Re-applied, the upload would bring the deleted key back, count it and bump the etag.
    const found = await redeliverToKeysTopology((p) => p.kind === 'keys.backupPut' && p.userId === dave.userId);
    expect(found).toBe(1);
    expect((await dave.client.get(`${v3}/room_keys/version`)).body).toMatchObject({ count: 0, etag: '2' });
    expectError(await dave.client.get(keysPath(version, room, 'once')), 404, 'M_NOT_FOUND');
  });
});
