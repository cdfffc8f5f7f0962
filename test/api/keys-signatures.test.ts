// POST /keys/signatures/upload through the local runtime: a user's self-signing key signs their
// devices, their device signs their master key, their user-signing key signs another user's master
// key; /keys/query merges the signatures (a user-signing signature only for its signer); sync and
// /keys/changes list the changes; bad signatures and unknown keys fail per key and store nothing;
// a redelivered record applies once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { deviceListChanges, signatureChanges } from '../../lib/matrix/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom } from './rooms-support.ts';
import { deviceKeysFor, redeliverToKeysTopology, signed, signingKey, uploadCrossSigning, v3, type CrossSigning, type SigningKey } from './keys-support.ts';

type Json = Record<string, unknown>;
type Query = { device_keys: Record<string, Record<string, Json>>; master_keys: Record<string, Json>; failures: Json };
type DeviceLists = { next_batch: string; device_lists: { changed: string[]; left: string[] } };

describe('cross-signing signatures', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let aliceDevice: SigningKey;
  let aliceKeys: CrossSigning;
  let bobKeys: CrossSigning;
  beforeAll(async () => {
    runtime = await startTestRuntime('keys-signatures');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    aliceDevice = signingKey();
    expect((await alice.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(alice, aliceDevice) })).status).toBe(200);
    [aliceKeys, bobKeys] = await Promise.all([uploadCrossSigning(alice), uploadCrossSigning(bob)]);
  });
  afterAll(() => runtime?.stop());

  const query = (by: RegisteredUser, userId: string) => by.client.post<Query>(`${v3}/keys/query`, { device_keys: { [userId]: [] } });
  const sync = (by: RegisteredUser, since?: string) =>
    by.client.get<DeviceLists>(`${v3}/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`);

  it('stores a self-signing signature on an own device and a device signature on the own master key; co-members see the change once', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await carol.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    const from = (await sync(carol)).body.next_batch;

    const device = (await query(carol, alice.userId)).body.device_keys[alice.userId]![alice.deviceId]!;
    const sskId = `ed25519:${aliceKeys.selfSigning.publicKey}`;
    const deviceSigned = signed(device, alice.userId, sskId, aliceKeys.selfSigning);
    const masterSigned = signed(aliceKeys.masterKey, alice.userId, `ed25519:${alice.deviceId}`, aliceDevice);
    const up = await alice.client.post(`${v3}/keys/signatures/upload`, {
      [alice.userId]: { [alice.deviceId]: deviceSigned, [aliceKeys.master.publicKey]: masterSigned },
    });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ failures: {} });

    // Everyone sees both signatures merged into the keys.
    const q = (await query(carol, alice.userId)).body;
    expect(q.device_keys[alice.userId]![alice.deviceId]).toEqual(deviceSigned);
    expect(q.master_keys[alice.userId]).toEqual(masterSigned);

    const first = await sync(carol, from);
    expect(first.body.device_lists.changed).toContain(alice.userId);
    expect((await sync(carol, first.body.next_batch)).body.device_lists.changed).not.toContain(alice.userId);
  });

  it('stores a user-signing signature on another user\'s master key, visible to the signer only, and changes that user\'s list for the signer', async () => {
    const from = (await sync(bob)).body.next_batch;
    const uskId = `ed25519:${bobKeys.userSigning.publicKey}`;
    const master = (await query(bob, alice.userId)).body.master_keys[alice.userId]!;
    const bobSigned = signed(master, bob.userId, uskId, bobKeys.userSigning);
    const up = await bob.client.post(`${v3}/keys/signatures/upload`, { [alice.userId]: { [aliceKeys.master.publicKey]: bobSigned } });
    expect(up.body).toEqual({ failures: {} });

    expect((await query(bob, alice.userId)).body.master_keys[alice.userId]).toEqual(bobSigned);
    const seenByCarol = (await query(carol, alice.userId)).body.master_keys[alice.userId] as { signatures: Json };
    expect(Object.keys(seenByCarol.signatures)).toEqual([alice.userId]);

    // bob shares no room with alice, yet her list changed for him (and only once).
    const first = await sync(bob, from);
    expect(first.body.device_lists.changed).toEqual([alice.userId]);
    expect((await sync(bob, first.body.next_batch)).body.device_lists.changed).toEqual([]);
    const changes = await bob.client.get(`${v3}/keys/changes?from=${encodeURIComponent(from)}&to=${encodeURIComponent(first.body.next_batch)}`);
    expect(changes.body).toEqual({ changed: [alice.userId], left: [] });
    // carol (a co-member of alice, not the signer) is not told.
    expect((await signatureChanges.key(carol.userId).count({ consistent: true }))).toBe(0);
  });

  it('fails per key for unknown devices, missing signing keys, mismatching keys and bad signatures, storing nothing', async () => {
    const dave = await registerUser(new TestClient(runtime.httpUrl));
    const daveDevice = signingKey();
    await dave.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(dave, daveDevice) });
    const daveDeviceKeys = (await query(dave, dave.userId)).body.device_keys[dave.userId]![dave.deviceId]!;
    const stranger = signingKey();
    const aliceMaster = (await query(dave, alice.userId)).body.master_keys[alice.userId]!;
    const bobMaster = (await query(dave, bob.userId)).body.master_keys[bob.userId]!;
    const beforeChange = await deviceListChanges.key(dave.userId).get({ consistent: true });

    // dave has no cross-signing keys: no self-signing key for his device, no user-signing key for alice.
    const none = await dave.client.post<{ failures: Record<string, Record<string, { errcode: string }>> }>(`${v3}/keys/signatures/upload`, {
      [dave.userId]: { [dave.deviceId]: signed(daveDeviceKeys, dave.userId, `ed25519:${stranger.publicKey}`, stranger), NOSUCHDEVICE: { user_id: dave.userId } },
      [alice.userId]: { [aliceKeys.master.publicKey]: signed(aliceMaster, dave.userId, `ed25519:${stranger.publicKey}`, stranger) },
    });
    expect(none.status).toBe(200);
    expect(none.body.failures[dave.userId]![dave.deviceId]!.errcode).toBe('M_NOT_FOUND');
    expect(none.body.failures[dave.userId]!.NOSUCHDEVICE!.errcode).toBe('M_NOT_FOUND');
    expect(none.body.failures[alice.userId]![aliceKeys.master.publicKey]!.errcode).toBe('M_NOT_FOUND');

    // bob has cross-signing keys: a signature by a key that is not his, a changed key, a non-master key.
    const uskId = `ed25519:${bobKeys.userSigning.publicKey}`;
    const forged = signed(aliceMaster, bob.userId, uskId, stranger);
    const altered = signed({ ...aliceMaster, usage: ['master', 'extra'] }, bob.userId, uskId, bobKeys.userSigning);
    const bad = await bob.client.post<{ failures: Record<string, Record<string, { errcode: string }>> }>(`${v3}/keys/signatures/upload`, {
      [alice.userId]: { [aliceKeys.master.publicKey]: forged, [alice.deviceId]: signed(aliceMaster, bob.userId, uskId, bobKeys.userSigning) },
      [bob.userId]: { [bobKeys.master.publicKey]: signed(bobMaster, bob.userId, 'ed25519:NOSUCHDEVICE', stranger) },
    });
    expect(bad.body.failures[alice.userId]![aliceKeys.master.publicKey]!.errcode).toBe('M_INVALID_SIGNATURE');
    expect(bad.body.failures[alice.userId]![alice.deviceId]!.errcode).toBe('M_NOT_FOUND');
    const alteredResult = await bob.client.post<{ failures: Record<string, Record<string, { errcode: string }>> }>(`${v3}/keys/signatures/upload`, {
      [alice.userId]: { [aliceKeys.master.publicKey]: altered },
    });
    expect(alteredResult.body.failures[alice.userId]![aliceKeys.master.publicKey]!.errcode).toBe('M_INVALID_SIGNATURE');

    // Nothing stored: dave's keys unsigned, bob still sees only his earlier good signature.
    expect((await query(alice, dave.userId)).body.device_keys[dave.userId]![dave.deviceId]).toEqual(daveDeviceKeys);
    const bobView = (await query(bob, alice.userId)).body.master_keys[alice.userId] as { signatures: Record<string, Json> };
    expect(Object.keys(bobView.signatures[bob.userId] ?? {})).toHaveLength(1);
    expect(await deviceListChanges.key(dave.userId).get({ consistent: true })).toEqual(beforeChange);
  });

  it('refuses malformed and oversized requests', async () => {
    expectError(await alice.client.post(`${v3}/keys/signatures/upload`, { [alice.userId]: 'nope' }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/keys/signatures/upload`, {}, { rawBody: '{nope' }), 400, 'M_NOT_JSON');
    const many = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`D${i}`, { user_id: alice.userId }]));
    expectError(await alice.client.post(`${v3}/keys/signatures/upload`, { [alice.userId]: many }), 413, 'M_TOO_LARGE');
    expectError(await new TestClient(runtime.httpUrl).post(`${v3}/keys/signatures/upload`, {}), 401, 'M_MISSING_TOKEN');
    expect((await alice.client.post(`${v3}/keys/signatures/upload`, {})).body).toEqual({ failures: {} });
  });

  it('applies a redelivered signatures record once', async () => {
    const erin = await registerUser(new TestClient(runtime.httpUrl));
    const erinDevice = signingKey();
    await erin.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(erin, erinDevice) });
    const erinKeys = await uploadCrossSigning(erin);
    const device = (await query(erin, erin.userId)).body.device_keys[erin.userId]![erin.deviceId]!;
    const deviceSigned = signed(device, erin.userId, `ed25519:${erinKeys.selfSigning.publicKey}`, erinKeys.selfSigning);
    expect((await erin.client.post(`${v3}/keys/signatures/upload`, { [erin.userId]: { [erin.deviceId]: deviceSigned } })).body).toEqual({ failures: {} });
    const signedAt = await deviceListChanges.key(erin.userId).get({ consistent: true });
    // A later change moves erin's device-list position on; a re-applied signatures record would move it back.
    const rotated = deviceKeysFor(erin, erinDevice);
    rotated.keys[`curve25519:${erin.deviceId}`] = 'rotated-curve';
    await erin.client.post(`${v3}/keys/upload`, { device_keys: signed({ ...rotated, signatures: {} }, erin.userId, `ed25519:${erin.deviceId}`, erinDevice) });
    const later = await deviceListChanges.key(erin.userId).get({ consistent: true });
    expect(later).not.toBe(signedAt);
    const found = await redeliverToKeysTopology((p) => p.kind === 'keys.signatures' && p.userId === erin.userId);
    expect(found).toBe(1);
    expect(await deviceListChanges.key(erin.userId).get({ consistent: true })).toBe(later);
    // The signature was over the device's ed25519 key, which did not change: still merged.
    const merged = (await query(alice, erin.userId)).body.device_keys[erin.userId]![erin.deviceId] as { signatures: Record<string, Json> };
    expect(Object.keys(merged.signatures[erin.userId]!)).toEqual(expect.arrayContaining([`ed25519:${erinKeys.selfSigning.publicKey}`]));
  });
});
