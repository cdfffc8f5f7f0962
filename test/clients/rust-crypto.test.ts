// matrix-js-sdk with its Rust crypto (matrix-sdk-crypto-wasm) against Axon: two users on their own
// devices upload their keys, and messages in an encrypted room are encrypted by one client and
// decrypted by the other. The server only stores and routes what the clients give it: device and
// one-time keys (/keys/upload, /keys/query, /keys/claim), the room key over /sendToDevice and
// /sync's to_device, and m.room.encrypted events; if any of it is wrong, the receiver cannot decrypt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType, MsgType, RoomMemberEvent } from 'matrix-js-sdk';
import { CryptoEvent, EventShieldReason } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';
import { decryptedMessage, exchangeClock, oneTimeKeysIn, startCryptoClient, startCryptoClientOnNewDevice, type CryptoClient, type CryptoExchange, toDeviceEventsIn } from '../support/crypto-sdk.ts';

quietSdk('silent');

/** The devices of `userId` that `observer`'s crypto knows now. */
async function knownDevices(observer: CryptoClient, userId: string): Promise<string[]> {
  return [...((await observer.client.getCrypto()!.getUserDeviceInfo([userId], false)).get(userId)?.keys() ?? [])];
}

/** Resolves with the id of the first device of `userId`, not in `known`, that `observer`'s crypto learns of. */
function learnsNewDevice(observer: CryptoClient, userId: string, known: string[]): Promise<string> {
  return waitFor<string>(
    (done) =>
      observer.client.on(CryptoEvent.DevicesUpdated, (users) => {
        if (!users.includes(userId)) return;
        void knownDevices(observer, userId).then((devices) => {
          const added = devices.find((deviceId) => !known.includes(deviceId));
          if (added) done(added);
        });
      }),
    `${observer.user.userId} learns a new device of ${userId}`,
    45_000,
  );
}

const isKeysUpload = (exchange: CryptoExchange) => exchange.method === 'POST' && exchange.path === '/keys/upload' && exchange.status === 200;
const signedCount = (exchange: CryptoExchange) => (exchange.response.one_time_key_counts as Record<string, number>).signed_curve25519 ?? 0;

describe('matrix-js-sdk Rust crypto against Axon', () => {
  let runtime: LocalRuntime;
  const clients: CryptoClient[] = [];
  let alice: CryptoClient;
  let bob: CryptoClient;
  /** The encrypted room alice made for bob, once made. */
  let roomId: string | undefined;
  beforeAll(async () => {
    runtime = await startTestRuntime('rust-crypto');
    [alice, bob] = await Promise.all([startCryptoClient(runtime.httpUrl, 'alice'), startCryptoClient(runtime.httpUrl, 'bob')]);
    clients.push(alice, bob);
  });
  afterAll(async () => {
    for (const { client } of clients) client.stopClient();
    await runtime?.stop();
  });

  it('both devices upload their identity and one-time keys, and each knows the other\'s device', async () => {
    // Both devices upload their identity keys and one-time keys; the server counts what it holds.
    for (const party of [alice, bob]) {
      const { user, client } = party;
      const upload = await party.exchange((e) => isKeysUpload(e) && e.body.device_keys !== undefined, 'uploads its device keys');
      const own = await client.getCrypto()!.getOwnDeviceKeys();
      expect((upload.body.device_keys as { keys: unknown }).keys).toEqual({ [`curve25519:${user.deviceId}`]: own.curve25519, [`ed25519:${user.deviceId}`]: own.ed25519 });
      const withKeys = await party.exchange((e) => isKeysUpload(e) && oneTimeKeysIn(e) > 0, 'uploads one-time keys');
      const uploadedBefore = party.exchanges.filter((e) => isKeysUpload(e) && e.answeredAt <= withKeys.answeredAt);
      expect(signedCount(withKeys)).toBe(uploadedBefore.reduce((sum, e) => sum + oneTimeKeysIn(e), 0));
      // /sync reports the fallback key unused, so the crypto keeps it (asked on the side, not to
      // wait for the client's own long-poll to come back).
      await party.exchange((e) => isKeysUpload(e) && e.body.fallback_keys !== undefined, 'uploads a fallback key');
      const sync = await user.client.get<{ device_unused_fallback_key_types?: string[] }>('/_matrix/client/v3/sync?timeout=0');
      expect(sync.status, JSON.stringify(sync.body)).toBe(200);
      expect(sync.body.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
    }
    // Alice sees bob's device as the crypto made it (and the other way round).
    const bobKeys = await bob.client.getCrypto()!.getOwnDeviceKeys();
    const bobDeviceAtAlice = (await alice.client.getCrypto()!.getUserDeviceInfo([bob.user.userId], true)).get(bob.user.userId)?.get(bob.user.deviceId);
    expect(bobDeviceAtAlice?.getIdentityKey()).toBe(bobKeys.curve25519);
    expect(bobDeviceAtAlice?.getFingerprint()).toBe(bobKeys.ed25519);
    const aliceKeys = await alice.client.getCrypto()!.getOwnDeviceKeys();
    const aliceDeviceAtBob = (await bob.client.getCrypto()!.getUserDeviceInfo([alice.user.userId], true)).get(alice.user.userId)?.get(alice.user.deviceId);
    expect(aliceDeviceAtBob?.getIdentityKey()).toBe(aliceKeys.curve25519);
  });

  it('alice encrypts in an encrypted room, bob decrypts, and back', { timeout: 120_000 }, async () => {
    const invited = waitFor<string>(
      (done) => bob.client.on(RoomMemberEvent.Membership, (_e, member) => member.userId === bob.user.userId && member.membership === 'invite' && done(member.roomId)),
      'bob sees his invite',
    );
    const created = await alice.client.createRoom({
      name: 'Secrets',
      invite: [bob.user.userId],
      initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    roomId = created.room_id;
    expect(await invited).toBe(roomId);
    const bobJoinSeen = waitFor<void>(
      (done) => alice.client.on(RoomMemberEvent.Membership, (_e, member) => member.roomId === roomId && member.userId === bob.user.userId && member.membership === 'join' && done()),
      'alice sees bob join',
    );
    await bob.client.joinRoom(roomId);
    await bobJoinSeen;
    expect(await alice.client.getCrypto()!.isEncryptionEnabledInRoom(roomId)).toBe(true);
    const bobKeys = await bob.client.getCrypto()!.getOwnDeviceKeys();

    // Alice encrypts: she claims one of bob's one-time keys, sends him the room key over Olm
    // (to-device), then sends m.room.encrypted; bob decrypts it.
    const bobDecrypts = decryptedMessage(bob.client, roomId, 'the eagle lands at dawn');
    await alice.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'the eagle lands at dawn' });
    const atBob = await bobDecrypts;
    expect(atBob.getWireType()).toBe(EventType.RoomMessageEncrypted);
    expect(atBob.getType()).toBe(EventType.RoomMessage);
    expect(atBob.getSender()).toBe(alice.user.userId);
    const aliceKeys = await alice.client.getCrypto()!.getOwnDeviceKeys();
    expect(atBob.getClaimedEd25519Key()).toBe(aliceKeys.ed25519);
    // Bob knows the sending device (from /keys/query); it is only not cross-signed by its owner.
    expect((await bob.client.getCrypto()!.getEncryptionInfoForEvent(atBob))?.shieldReason).toBe(EventShieldReason.UNSIGNED_DEVICE);

    const claims = alice.exchanges.filter((e) => e.path === '/keys/claim' && e.status === 200);
    const claimedFromBob = claims.map((e) => Object.keys((e.response.one_time_keys as Record<string, Record<string, object>>)[bob.user.userId]?.[bob.user.deviceId] ?? {}).length);
    expect(claimedFromBob.reduce((sum, n) => sum + n, 0)).toBe(1);
    const roomKeySend = alice.exchanges.find((e) => e.path.startsWith('/sendToDevice/m.room.encrypted/'));
    expect(roomKeySend?.status).toBe(200);
    expect(Object.keys((roomKeySend?.body.messages as Record<string, Record<string, unknown>>)[bob.user.userId] ?? {})).toEqual([bob.user.deviceId]);

    // /sync told bob that one of his keys was claimed (device_one_time_keys_count), so his crypto
    // tops them up; the server's count is then all he uploaded minus the one claimed.
    // (Bob has no other reason to upload: his count stays full until a claim.)
    const claimSentAt = Math.max(...claims.map((e) => e.sentAt));
    const topUp = await bob.exchange((e) => isKeysUpload(e) && oneTimeKeysIn(e) > 0 && e.sentAt > claimSentAt, 'tops up his one-time keys after the claim');
    const uploadedUntilTopUp = bob.exchanges.filter((e) => isKeysUpload(e) && e.answeredAt <= topUp.answeredAt);
    expect(signedCount(topUp)).toBe(uploadedUntilTopUp.reduce((sum, e) => sum + oneTimeKeysIn(e), 0) - 1);

    // And back: bob shares his own room key with alice's device.
    const aliceDecrypts = decryptedMessage(alice.client, roomId, 'understood');
    await bob.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'understood' });
    const atAlice = await aliceDecrypts;
    expect(atAlice.getWireType()).toBe(EventType.RoomMessageEncrypted);
    expect(atAlice.getSender()).toBe(bob.user.userId);
    expect(atAlice.getClaimedEd25519Key()).toBe(bobKeys.ed25519);

    // Every to-device message alice sent bob's device reached it exactly once, as she sent it.
    const sentToBob = alice.exchanges
      .filter((e) => e.path.startsWith('/sendToDevice/m.room.encrypted/') && e.status === 200)
      .map((e) => (e.body.messages as Record<string, Record<string, Record<string, unknown>>>)[bob.user.userId]?.[bob.user.deviceId])
      .filter((content) => content !== undefined);
    const receivedFromAlice = bob.exchanges
      .filter((e) => e.path === '/sync' && e.status === 200)
      .flatMap(toDeviceEventsIn)
      .filter((event) => event.sender === alice.user.userId && event.type === EventType.RoomMessageEncrypted);
    expect(sentToBob.length).toBeGreaterThan(0);
    expect(receivedFromAlice.map((event) => event.content)).toEqual(sentToBob);
  });

  it('a new device of bob\'s reaches alice and bob\'s laptop through device_lists, and their next messages are readable there', { timeout: 120_000 }, async () => {
    expect(roomId, 'the encrypted room of the previous test').toBeDefined();
    const room = roomId!;
    // Neither queries bob's keys again unless its /sync lists him in device_lists.changed.
    const aliceLearns = learnsNewDevice(alice, bob.user.userId, await knownDevices(alice, bob.user.userId));
    const laptopLearns = learnsNewDevice(bob, bob.user.userId, await knownDevices(bob, bob.user.userId));
    const beforeLogin = exchangeClock();
    const bobPhone = await startCryptoClientOnNewDevice(runtime.httpUrl, bob.user.userId);
    clients.push(bobPhone);
    expect(bobPhone.user.deviceId).not.toBe(bob.user.deviceId);
    expect(await Promise.all([aliceLearns, laptopLearns])).toEqual([bobPhone.user.deviceId, bobPhone.user.deviceId]);
    for (const observer of [alice, bob]) {
      await observer.exchange(
        (e) => e.path === '/sync' && e.answeredAt > beforeLogin && ((e.response.device_lists as { changed?: string[] } | undefined)?.changed ?? []).includes(bob.user.userId),
        'syncs bob into device_lists.changed',
      );
    }

    const phoneDecrypts = decryptedMessage(bobPhone.client, room, 'also on your phone');
    const laptopDecrypts = decryptedMessage(bob.client, room, 'also on your phone');
    await alice.client.sendMessage(room, { msgtype: MsgType.Text, body: 'also on your phone' });
    const [atPhone, atLaptop] = await Promise.all([phoneDecrypts, laptopDecrypts]);
    expect(atPhone.getSender()).toBe(alice.user.userId);
    expect(atLaptop.getSender()).toBe(alice.user.userId);

    // Bob's laptop shares its room key with his own new device too.
    const phoneReadsLaptop = decryptedMessage(bobPhone.client, room, 'sent from my laptop');
    await bob.client.sendMessage(room, { msgtype: MsgType.Text, body: 'sent from my laptop' });
    expect((await phoneReadsLaptop).getSender()).toBe(bob.user.userId);
  });
});
