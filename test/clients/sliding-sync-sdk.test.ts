// matrix-js-sdk's SlidingSync (its simplified MSC4186 mode, what Element Web's sliding sync uses)
// drives Axon: two users with a list over their rooms, an invite arriving through the list, the
// join, a message, typing and a read receipt arriving through the room results and extensions;
// then two clients with the Rust crypto exchange encrypted messages, the room keys and device
// lists arriving through the to_device and e2ee extensions (no /v3/sync at all).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientEvent, createClient, EventType, MsgType, RoomEvent, RoomMemberEvent, SyncState, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { SlidingSync, type MSC3575List } from 'matrix-js-sdk/lib/sliding-sync.js';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';
import { decryptedMessage } from '../support/crypto-sdk.ts';

quietSdk();

const list: MSC3575List = { ranges: [[0, 19]], timeline_limit: 10, required_state: [['*', '*']] };

/** What a client's requests carried: the paths asked, and the to-device events sliding sync answered. */
interface Traffic {
  paths: string[];
  toDevice: { sender: string; type: string }[];
  /** Users in the e2ee extension's device_lists.changed, and whether one-time key counts came. */
  changed: string[];
  keyCounts: boolean;
}

async function startSliding(baseUrl: string, user: RegisteredUser, crypto = false): Promise<{ client: MatrixClient; sync: SlidingSync; traffic: Traffic }> {
  const traffic: Traffic = { paths: [], toDevice: [], changed: [], keyCounts: false };
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const path = new URL(input instanceof Request ? input.url : input.toString()).pathname;
    traffic.paths.push(path);
    if (!path.endsWith('/org.matrix.simplified_msc3575/sync') || response.status !== 200) return response;
    const text = await response.text();
    const body = JSON.parse(text) as {
      extensions?: { to_device?: { events?: { sender: string; type: string }[] }; e2ee?: { device_lists?: { changed?: string[] }; device_one_time_keys_count?: object } };
    };
    traffic.toDevice.push(...(body.extensions?.to_device?.events ?? []));
    traffic.changed.push(...(body.extensions?.e2ee?.device_lists?.changed ?? []));
    traffic.keyCounts ||= body.extensions?.e2ee?.device_one_time_keys_count !== undefined;
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const client = createClient({ baseUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId, fetchFn: recordingFetch });
  if (crypto) await client.initRustCrypto({ useIndexedDB: false });
  const sync = new SlidingSync(baseUrl, new Map([['all', list]]), { timeline_limit: 10, required_state: [['*', '*']] }, client, 5_000);
  const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), `${user.userId} PREPARED`);
  await client.startClient({ slidingSync: sync });
  await prepared;
  return { client, sync, traffic };
}

describe('matrix-js-sdk SlidingSync against Axon', () => {
  let runtime: LocalRuntime;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let aliceUser: RegisteredUser;
  let bobUser: RegisteredUser;
  let roomId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('sliding-sync-sdk', { sync: 'lambda' });
    const anonymous = new TestClient(runtime.httpUrl);
    [aliceUser, bobUser] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    ({ client: alice } = await startSliding(runtime.httpUrl, aliceUser));
    ({ client: bob } = await startSliding(runtime.httpUrl, bobUser));
  }, 120_000);
  afterAll(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await runtime?.stop();
  });

  it('bob sees the invite through his list, joins, and gets alice’s message', async () => {
    const invited = waitFor<Room>(
      (done) => bob.on(ClientEvent.Room, (room) => room.getMyMembership() === 'invite' && done(room)),
      'bob sees the invite',
    );
    ({ room_id: roomId } = await alice.createRoom({ name: 'sliding', invite: [bobUser.userId] }));
    const room = await invited;
    expect(room.roomId).toBe(roomId);
    expect(room.name).toBe('sliding');

    const joined = waitFor<void>((done) => bob.on(RoomEvent.MyMembership, (r, membership) => r.roomId === roomId && membership === 'join' && done()), 'bob joined');
    await bob.joinRoom(roomId);
    await joined;

    const arrived = waitFor<MatrixEvent>(
      (done) => bob.on(RoomEvent.Timeline, (event) => event.getRoomId() === roomId && event.getContent().body === 'hello over sliding sync' && done(event)),
      'bob gets the message',
    );
    const { event_id: eventId } = await alice.sendTextMessage(roomId, 'hello over sliding sync');
    expect((await arrived).getId()).toBe(eventId);
    expect(bob.getRoom(roomId)?.getJoinedMemberCount()).toBe(2);
  });

  it('bob sees alice typing and her read receipt through the extensions', async () => {
    const typing = waitFor<void>(
      (done) => bob.on(RoomMemberEvent.Typing, (_e, member) => member.roomId === roomId && member.userId === aliceUser.userId && member.typing && done()),
      'bob sees alice typing',
    );
    await alice.sendTyping(roomId, true, 20_000);
    await typing;

    const { event_id: eventId } = await bob.sendTextMessage(roomId, 'read this');
    const receipt = waitFor<void>(
      (done) => bob.on(RoomEvent.Receipt, (event) => event.getRoomId() === roomId && JSON.stringify(event.getContent()).includes(aliceUser.userId) && done()),
      'bob sees alice’s receipt',
    );
    await waitFor<void>((done) => {
      const seen = () => alice.getRoom(roomId)?.findEventById(eventId) && done();
      alice.on(RoomEvent.Timeline, seen);
      seen();
    }, 'alice gets bob’s message');
    await alice.sendReadReceipt(alice.getRoom(roomId)!.findEventById(eventId)!);
    await receipt;
  });

  it('Rust crypto clients on sliding sync exchange encrypted messages: keys through to_device and e2ee', { timeout: 150_000 }, async () => {
    const anonymous = new TestClient(runtime.httpUrl);
    const [carolUser, daveUser] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    const [carol, dave] = await Promise.all([startSliding(runtime.httpUrl, carolUser, true), startSliding(runtime.httpUrl, daveUser, true)]);
    try {
      const invited = waitFor<string>(
        (done) => dave.client.on(RoomMemberEvent.Membership, (_e, member) => member.userId === daveUser.userId && member.membership === 'invite' && done(member.roomId)),
        'dave sees his invite',
      );
      const { room_id: secret } = await carol.client.createRoom({
        name: 'Secrets',
        invite: [daveUser.userId],
        initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
      expect(await invited).toBe(secret);
      const daveJoinSeen = waitFor<void>(
        (done) => carol.client.on(RoomMemberEvent.Membership, (_e, member) => member.roomId === secret && member.userId === daveUser.userId && member.membership === 'join' && done()),
        'carol sees dave join',
      );
      await dave.client.joinRoom(secret);
      await daveJoinSeen;

      const daveDecrypts = decryptedMessage(dave.client, secret, 'over sliding sync, encrypted');
      await carol.client.sendMessage(secret, { msgtype: MsgType.Text, body: 'over sliding sync, encrypted' });
      const atDave = await daveDecrypts;
      expect(atDave.getWireType()).toBe(EventType.RoomMessageEncrypted);
      expect(atDave.getSender()).toBe(carolUser.userId);

      const carolDecrypts = decryptedMessage(carol.client, secret, 'and back');
      await dave.client.sendMessage(secret, { msgtype: MsgType.Text, body: 'and back' });
      expect((await carolDecrypts).getWireType()).toBe(EventType.RoomMessageEncrypted);

      // The room keys came as to-device messages through the sliding sync extension, and neither
      // client ever used /v3/sync.
      expect(dave.traffic.toDevice.some((e) => e.sender === carolUser.userId && e.type === EventType.RoomMessageEncrypted)).toBe(true);
      expect(carol.traffic.toDevice.some((e) => e.sender === daveUser.userId && e.type === EventType.RoomMessageEncrypted)).toBe(true);
      // The e2ee extension told carol that dave's devices concern her once he joined, and both their key counts.
      expect(carol.traffic.changed).toContain(daveUser.userId);
      for (const { traffic } of [carol, dave]) {
        expect(traffic.keyCounts).toBe(true);
        expect(traffic.paths.some((p) => p.endsWith('/v3/sync'))).toBe(false);
      }
    } finally {
      carol.client.stopClient();
      dave.client.stopClient();
    }
  });
});
