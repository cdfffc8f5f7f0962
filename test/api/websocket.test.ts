// The WebSocket channel through the local runtime (ARCHITECTURE §7): $connect authenticated by
// ?access_token=, ping/pong, error frames, timeline events pushed as sync frames by the rooms
// topology, next_batch as a gap-free /sync since, connections forgotten on close or when gone, and
// sync_needed frames for what frames do not carry (to-device messages, device lists, account data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { connectionOwners, connections, roomInfo, roomOnlineMembers, roomTimeline } from '../../lib/matrix/pstates.ts';
import { pushToUser } from '../../lib/matrix/push/push.ts';
import { pushAfterRoomCommit } from '../../lib/matrix/push/timeline.ts';
import type { RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { decodeSyncToken } from '../../lib/matrix/sync/token.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { deviceKeysFor, signingKey } from './keys-support.ts';
import { createRoom, path, send } from './rooms-support.ts';
import { connect as connectAs, eventually, open as openAs, type Socket as SocketOf } from '../support/websocket.ts';

interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  room_id?: string;
  state_key?: string;
  unsigned?: Record<string, unknown>;
}
interface Frame {
  type: string;
  next_batch?: string;
  errcode?: string;
  error?: string;
  data?: {
    rooms?: {
      join?: Record<string, { timeline?: { events: ClientEvent[] }; ephemeral?: { events: { type: string; content: Record<string, unknown> }[] } }>;
      invite?: Record<string, { invite_state: { events: ClientEvent[] } }>;
    };
    presence?: { events: { type: string; sender?: string; content: Record<string, unknown> }[] };
  };
}
interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: ClientEvent[] } }> };
  to_device?: { events: { sender: string; type: string; content: Record<string, unknown> }[] };
  device_lists?: { changed: string[]; left: string[] };
  account_data?: { events: { type: string; content: Record<string, unknown> }[] };
}

type Socket = SocketOf<Frame>;
const connect = (url: string, params: Record<string, string>) => connectAs<Frame>(url, params);
const open = (url: string, params: Record<string, string>) => openAs<Frame>(url, params);

async function connectionsOf(userId: string) {
  return (await connections.key(userId).range({ consistent: true })).entries;
}

async function sync(client: TestClient, since?: string): Promise<SyncBody> {
  const res = await client.get<SyncBody>(`${path.v3}/sync${since ? `?since=${encodeURIComponent(since)}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const nudge = (reason: string) => (f: Frame) => f.type === 'sync_needed' && (f as Frame & { reason?: string }).reason === reason;
const nudges = (socket: Socket) => socket.frames.filter((f) => f.type === 'sync_needed');

const timelineOf = (frame: Frame, roomId: string) => frame.data?.rooms?.join?.[roomId]?.timeline?.events ?? [];
const carries = (roomId: string, eventId: string) => (f: Frame) => f.type === 'sync' && timelineOf(f, roomId).some((e) => e.event_id === eventId);

describe('WebSocket channel', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const sockets: Socket[] = [];
  const track = (s: Socket) => (sockets.push(s), s);

  beforeAll(async () => {
    runtime = await startTestRuntime('websocket');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await runtime?.stop();
  });

  it('refuses the handshake without a token, with an unknown token and with a malformed since', async () => {
    expect(await connect(runtime.wsUrl, {})).toEqual({ ok: false, status: 401 });
    expect(await connect(runtime.wsUrl, { access_token: 'not-a-token' })).toEqual({ ok: false, status: 401 });
    expect(await connect(runtime.wsUrl, { access_token: alice.accessToken, since: 'garbage' })).toEqual({ ok: false, status: 400 });
    // nothing was recorded for the refused ones
    expect(await connectionsOf(alice.userId)).toEqual([]);
  });

  it('accepts a valid token and records the connection; a closed socket is forgotten ($disconnect)', async () => {
    const socket = await open(runtime.wsUrl, { access_token: alice.accessToken });
    const recorded = await connectionsOf(alice.userId);
    expect(recorded).toHaveLength(1);
    const [connectionId, c] = recorded[0]!;
    expect(c).toMatchObject({ deviceId: alice.deviceId });
    expect(decodeSyncToken(c.cursor!)).toBeDefined();
    expect(await connectionOwners.key(connectionId).get({ consistent: true })).toEqual({ userId: alice.userId, tokenHash: c.tokenHash });
    expect(c.tokenHash).toMatch(/.{20,}/);

    await socket.close();
    await eventually(async () => (await connectionsOf(alice.userId)).length === 0);
    expect(await connectionOwners.key(connectionId).get({ consistent: true })).toBeUndefined();
  });

  it('answers ping with pong, and unknown actions and non-JSON frames with error frames', async () => {
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken }));
    socket.send({ action: 'ping' });
    expect(await socket.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });

    socket.send({ action: 'dance' });
    const unknown = await socket.next((f) => f.type === 'error');
    expect(unknown).toMatchObject({ type: 'error', errcode: 'M_UNRECOGNIZED' });
    expect(unknown.error).toContain('dance');

    const before = socket.frames.length;
    socket.send('not json');
    expect(await socket.next((f) => f.type === 'error', before)).toMatchObject({ errcode: 'M_NOT_JSON' });

    const beforePing = socket.frames.length;
    socket.send({ action: 'ping', since: 'garbage' });
    expect(await socket.next((f) => f.type === 'error', beforePing)).toMatchObject({ errcode: 'M_INVALID_PARAM' });
    await socket.close();
  });

  it('answers poison frames with error frames, nothing appended: lone surrogates, numbers past a double, oversized ids and text', async () => {
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken }));
    const refused = async (frame: string) => {
      const before = socket.frames.length;
      socket.send(frame);
      return socket.next((f) => f.type === 'error', before);
    };
    expect(await refused('{"action":"presence","presence":"online","status_msg":"a\\ud800b"}')).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(await refused('{"action":"typing","room_id":"!r:localhost","typing":true,"timeout":1e400}')).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(await refused(JSON.stringify({ action: 'typing', room_id: `!${'r'.repeat(3000)}:localhost`, typing: true }))).toMatchObject({ errcode: 'M_BAD_JSON' });
    expect(await refused(JSON.stringify({ action: 'presence', presence: 'online', status_msg: 'x'.repeat(70_000) }))).toMatchObject({ errcode: 'M_TOO_LARGE' });
    // The connection still works.
    socket.send({ action: 'ping' });
    expect(await socket.next((f) => f.type === 'pong', socket.frames.length - 1)).toEqual({ type: 'pong' });
    await socket.close();
  });

  it('pushes a message sent by another member as a sync frame; the own device sees its transaction id', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken }));
    // connected counts as online in the joined room, so the rooms topology finds alice
    expect(await roomOnlineMembers.key(roomId).key(alice.userId).get({ consistent: true })).toBeGreaterThan(Date.now());

    const fromBob = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'hello alice' })).body.event_id;
    const frame = await socket.next(carries(roomId, fromBob));
    expect(frame.next_batch).toMatch(/^s1_/);
    const event = timelineOf(frame, roomId).find((e) => e.event_id === fromBob)!;
    expect(event).toMatchObject({ type: 'm.room.message', sender: bob.userId, content: { msgtype: 'm.text', body: 'hello alice' } });
    expect(event.room_id).toBeUndefined();
    expect(event.unsigned?.transaction_id).toBeUndefined();

    const own = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'mine' }, 'alice-txn-1')).body.event_id;
    const ownFrame = await socket.next(carries(roomId, own));
    expect(timelineOf(ownFrame, roomId).find((e) => e.event_id === own)?.unsigned?.transaction_id).toBe('alice-txn-1');
    await socket.close();
  });

  it("a frame's next_batch as /sync since returns nothing already pushed and everything after", async () => {
    const roomId = await createRoom(bob.client, { preset: 'public_chat' });
    expect((await alice.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const start = await sync(alice.client);
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken, since: start.next_batch }));

    const pushed: string[] = [];
    for (const body of ['one', 'two', 'three']) pushed.push((await send(bob.client, roomId, { msgtype: 'm.text', body })).body.event_id);
    const last = await socket.next(carries(roomId, pushed[2]!));
    // every message arrived once, in order
    const received = socket.frames.flatMap((f) => timelineOf(f, roomId)).map((e) => e.event_id);
    expect(received).toEqual(pushed);
    await socket.close();

    const after = [];
    for (const body of ['four', 'five']) after.push((await send(bob.client, roomId, { msgtype: 'm.text', body })).body.event_id);
    const catchUp = await sync(alice.client, last.next_batch);
    expect(catchUp.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual(after);

    // reconnecting from the catch-up's token: the next frames continue without a gap
    const again = track(await open(runtime.wsUrl, { access_token: alice.accessToken, since: catchUp.next_batch }));
    const six = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'six' })).body.event_id;
    const sixth = await again.next(carries(roomId, six));
    expect(timelineOf(sixth, roomId).map((e) => e.event_id)).toEqual([six]);
    const tail = await sync(alice.client, sixth.next_batch);
    expect(tail.rooms?.join?.[roomId]).toBeUndefined();
    await again.close();
  });

  it('after a reconnect that missed events, a ping with the catch-up token lets next_batch move on', async () => {
    const roomId = await createRoom(bob.client, { preset: 'public_chat' });
    expect((await alice.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const start = await sync(alice.client);
    // missed while disconnected
    const missed = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'missed' })).body.event_id;
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken, since: start.next_batch }));

    const first = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'first' })).body.event_id;
    const frame = await socket.next(carries(roomId, first));
    // the frame cannot claim the missed event: catching up from it still returns it
    const fromFrame = await sync(alice.client, frame.next_batch);
    expect(fromFrame.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toContain(missed);

    const caughtUp = await sync(alice.client, start.next_batch);
    expect(caughtUp.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([missed, first]);
    const beforePing = socket.frames.length;
    socket.send({ action: 'ping', since: caughtUp.next_batch });
    await socket.next((f) => f.type === 'pong', beforePing);
    const second = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'second' })).body.event_id;
    const next = await socket.next(carries(roomId, second));
    const rest = await sync(alice.client, next.next_batch);
    expect(rest.rooms?.join?.[roomId]).toBeUndefined();
    await socket.close();
  });

  it('pushes an invite to a connected invitee as rooms.invite with stripped state', async () => {
    const roomId = await createRoom(bob.client, { preset: 'private_chat', name: 'private' });
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken }));
    expect((await bob.client.post(path.room(roomId, 'invite'), { user_id: alice.userId })).status).toBe(200);
    const frame = await socket.next((f) => f.data?.rooms?.invite?.[roomId] !== undefined);
    const events = frame.data!.rooms!.invite![roomId]!.invite_state.events;
    expect(events).toContainEqual(expect.objectContaining({ type: 'm.room.name', content: { name: 'private' } }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'm.room.member', state_key: alice.userId, content: expect.objectContaining({ membership: 'invite' }) }));
    await socket.close();
  });

  it('pushToUser sends a delta to every connection of the user with its cursor as next_batch', async () => {
    const one = track(await open(runtime.wsUrl, { access_token: bob.accessToken }));
    const two = track(await open(runtime.wsUrl, { access_token: bob.accessToken }));
    const presence = { events: [{ type: 'm.presence', sender: alice.userId, content: { presence: 'online' } }] };
    const outcomes = await pushToUser(bob.userId, { presence });
    expect(outcomes).toEqual(['sent', 'sent']);
    for (const socket of [one, two]) {
      const frame = await socket.next((f) => f.data?.presence !== undefined);
      expect(frame).toMatchObject({ type: 'sync', data: { presence } });
      expect(frame.next_batch).toMatch(/^s1_/);
    }
    await Promise.all([one.close(), two.close()]);
  });

  it('the URL .well-known advertises is where clients connect', async () => {
    const res = await new TestClient(runtime.httpUrl).get<Record<string, { url?: string }>>('/.well-known/matrix/client');
    const url = res.body['org.axon.websocket']?.url;
    expect(url).toBe(runtime.wsUrl);
    const socket = await open(url!, { access_token: bob.accessToken });
    socket.send({ action: 'ping' });
    expect(await socket.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    await socket.close();
  });

  it('typing and presence frames reach the other member through the ephemeral topology; bad ones get error frames', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const [aliceSocket, bobSocket] = [track(await open(runtime.wsUrl, { access_token: alice.accessToken })), track(await open(runtime.wsUrl, { access_token: bob.accessToken }))];

    aliceSocket.send({ action: 'typing', room_id: roomId, typing: true, timeout: 30_000 });
    const typing = await bobSocket.next((f) => (f.data?.rooms?.join?.[roomId]?.ephemeral?.events ?? []).some((e) => e.type === 'm.typing'));
    expect(typing.data!.rooms!.join![roomId]!.ephemeral!.events).toContainEqual({ type: 'm.typing', content: { user_ids: [alice.userId] } });

    aliceSocket.send({ action: 'presence', presence: 'unavailable', status_msg: 'away' });
    const presence = await bobSocket.next((f) => (f.data?.presence?.events ?? []).some((e) => e.sender === alice.userId));
    expect(presence.data!.presence!.events.find((e) => e.sender === alice.userId)?.content).toMatchObject({ presence: 'unavailable', status_msg: 'away' });

    const before = aliceSocket.frames.length;
    aliceSocket.send({ action: 'typing', room_id: roomId, typing: 'yes' });
    expect(await aliceSocket.next((f) => f.type === 'error', before)).toMatchObject({ errcode: 'M_BAD_JSON' });
    const notMember = await createRoom(bob.client, { preset: 'private_chat' });
    const beforeForbidden = aliceSocket.frames.length;
    aliceSocket.send({ action: 'typing', room_id: notMember, typing: true });
    expect(await aliceSocket.next((f) => f.type === 'error', beforeForbidden)).toMatchObject({ errcode: 'M_FORBIDDEN' });
    const beforePresence = aliceSocket.frames.length;
    aliceSocket.send({ action: 'presence', presence: 'dancing' });
    expect(await aliceSocket.next((f) => f.type === 'error', beforePresence)).toMatchObject({ errcode: 'M_BAD_JSON' });
    await Promise.all([aliceSocket.close(), bobSocket.close()]);
  });

  it('forgets a gone connection when a push meets 410 from @connections', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const socket = track(await open(runtime.wsUrl, { access_token: bob.accessToken }));
    // A connection the gateway no longer has (its $disconnect never ran), registered long enough ago.
    const ghost = 'ghostConnection=';
    const [[, real]] = (await connectionsOf(bob.userId)) as [[string, { cursor: string; floor: string; tokenHash: string }]];
    await commit([
      connections.key(bob.userId).key(ghost).set({ deviceId: bob.deviceId, connectedAt: Date.now() - 3_600_000, cursor: real.cursor, floor: real.floor, filter: '', tokenHash: real.tokenHash }),
      connectionOwners.key(ghost).set({ userId: bob.userId, tokenHash: real.tokenHash }),
    ]);
    const message = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'anyone?' })).body.event_id;
    await socket.next(carries(roomId, message));
    await eventually(async () => (await connectionsOf(bob.userId)).every(([id]) => id !== ghost));
    expect(await connectionOwners.key(ghost).get({ consistent: true })).toBeUndefined();
    // the live connection stays
    expect(await connectionsOf(bob.userId)).toHaveLength(1);
    await socket.close();
  });

  it('a filter named at $connect (inline or uploaded) shapes every frame; an unknown or malformed one refuses the handshake', async () => {
    expect(await connect(runtime.wsUrl, { access_token: bob.accessToken, filter: '999999' })).toEqual({ ok: false, status: 400 });
    expect(await connect(runtime.wsUrl, { access_token: bob.accessToken, filter: '{"room":' })).toEqual({ ok: false, status: 400 });
    const shown = await createRoom(alice.client, { preset: 'public_chat' });
    const hidden = await createRoom(alice.client, { preset: 'public_chat' });
    for (const roomId of [shown, hidden]) expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const uploaded = await bob.client.post<{ filter_id: string }>(`${path.v3}/user/${encodeURIComponent(bob.userId)}/filter`, {
      room: { not_rooms: [hidden], timeline: { senders: [alice.userId] }, ephemeral: { not_types: ['m.receipt'] } },
      presence: { not_types: ['m.presence'] },
    });
    expect(uploaded.status).toBe(200);
    const filtered = track(await open(runtime.wsUrl, { access_token: bob.accessToken, filter: uploaded.body.filter_id }));
    const inline = track(await open(runtime.wsUrl, { access_token: bob.accessToken, filter: JSON.stringify({ event_fields: ['event_id', 'sender'] }) }));
    const plain = track(await open(runtime.wsUrl, { access_token: bob.accessToken }));

    const inHidden = (await send(alice.client, hidden, { msgtype: 'm.text', body: 'hidden room' })).body.event_id;
    const ownMessage = (await send(bob.client, shown, { msgtype: 'm.text', body: 'hidden sender' })).body.event_id;
    const visible = (await send(alice.client, shown, { msgtype: 'm.text', body: 'shown' })).body.event_id;
    for (const [roomId, id] of [[hidden, inHidden], [shown, ownMessage], [shown, visible]] as const) await plain.next(carries(roomId, id));
    await filtered.next(carries(shown, visible));
    const seen = filtered.frames.flatMap((f) => Object.values(f.data?.rooms?.join ?? {}).flatMap((r) => r.timeline?.events ?? [])).map((e) => e.event_id);
    expect(seen).toContain(visible);
    expect(seen).not.toContain(inHidden);
    expect(seen).not.toContain(ownMessage);
    expect(filtered.frames.some((f) => f.data?.rooms?.join?.[hidden] !== undefined)).toBe(false);
    // event_fields: only the named fields
    const trimmed = timelineOf(await inline.next(carries(shown, visible)), shown).find((e) => e.event_id === visible);
    expect(trimmed).toEqual({ event_id: visible, sender: alice.userId });

    // Ephemeral deltas pass the same filter: presence dropped, typing kept, receipts dropped.
    const typing = { events: [{ type: 'm.typing', content: { user_ids: [alice.userId] } }] };
    const receipt = { events: [{ type: 'm.receipt', content: {} }] };
    const presence = { events: [{ type: 'm.presence', sender: alice.userId, content: { presence: 'online' } }] };
    const marker = filtered.frames.length;
    await pushToUser(bob.userId, { presence, rooms: { join: { [shown]: { ephemeral: { events: [...typing.events, ...receipt.events] } } } } });
    await pushToUser(bob.userId, { presence });
    const frame = await filtered.next((f) => f.data?.rooms?.join?.[shown]?.ephemeral !== undefined, marker);
    expect(frame.data).toEqual({ rooms: { join: { [shown]: { ephemeral: typing } } } });
    // The presence-only delta was not sent to the filtered connection at all (the plain one got both).
    await plain.next((f) => f.data?.presence !== undefined && f.data.rooms === undefined);
    const sentinel = (await send(alice.client, shown, { msgtype: 'm.text', body: 'sentinel' })).body.event_id;
    await filtered.next(carries(shown, sentinel));
    expect(filtered.frames.slice(marker).some((f) => f.data?.presence !== undefined)).toBe(false);
    await Promise.all([filtered.close(), inline.close(), plain.close()]);
  });

  it('a pushed timeline carries bundled aggregations (a redelivered record whose root gained a thread reply)', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const start = await sync(bob.client);
    const root = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'root' })).body.event_id;
    const reply = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: root } })).body.event_id;
    // Bob connects from before the root, so a redelivery of the root's record is pushed to him again.
    const socket = track(await open(runtime.wsUrl, { access_token: bob.accessToken, since: start.next_batch }));
    const info = await roomInfo.key(roomId).get({ consistent: true });
    const entries = (await roomTimeline.key(roomId).range({ consistent: true })).entries.map(([, e]) => e);
    const rootEntry = entries.find((e) => e.event.event_id === root)!;
    await pushAfterRoomCommit({ payload: { kind: 'send', roomId } as unknown as RoomCommand, lane: info!.shardId!, sequenceNumber: rootEntry.seq });
    const frame = await socket.next(carries(roomId, root));
    const pushed = timelineOf(frame, roomId).find((e) => e.event_id === root);
    expect(pushed?.unsigned?.['m.relations']).toMatchObject({
      'm.thread': { count: 1, current_user_participated: false, latest_event: { event_id: reply, sender: alice.userId } },
    });
    await socket.close();
  });

  it('a record whose frame would pass 128 KB is announced with sync_needed, and no later frame claims it before the catch-up', async () => {
    const start = await sync(alice.client);
    const socket = track(await open(runtime.wsUrl, { access_token: alice.accessToken, since: start.next_batch }));
    // One createRoom record carrying three ~50 KB state events: its frame would be ~150 KB.
    const big = 'x'.repeat(50_000);
    const initial_state = ['a', 'b', 'c'].map((state_key) => ({ type: 'org.axon.test.big', state_key, content: { big } }));
    const roomId = await createRoom(alice.client, { preset: 'private_chat', initial_state });
    await socket.next(nudge('frame_too_large'));
    expect(socket.frames.some((f) => f.type === 'sync' && f.data?.rooms?.join?.[roomId])).toBe(false);

    // A later, small event of the room is pushed, but its next_batch still stands before the big record.
    const small = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'small' })).body.event_id;
    const frame = await socket.next(carries(roomId, small));
    const bigIn = (body: SyncBody) => {
      const room = body.rooms?.join?.[roomId] as { timeline: { events: ClientEvent[] }; state?: { events: ClientEvent[] } } | undefined;
      return [...(room?.timeline.events ?? []), ...(room?.state?.events ?? [])].filter((e) => e.type === 'org.axon.test.big').length;
    };
    expect(bigIn(await sync(alice.client, frame.next_batch))).toBe(3);

    // The nudge's catch-up, then a ping with its token: frames move on again.
    const caughtUp = await sync(alice.client, start.next_batch);
    expect(bigIn(caughtUp)).toBe(3);
    const beforePing = socket.frames.length;
    socket.send({ action: 'ping', since: caughtUp.next_batch });
    await socket.next((f) => f.type === 'pong', beforePing);
    const after = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'after' })).body.event_id;
    const next = await socket.next(carries(roomId, after));
    expect((await sync(alice.client, next.next_batch)).rooms?.join?.[roomId]).toBeUndefined();
    expect(socket.closed).toBe(false);
    await socket.close();
  });

  describe('sync_needed: what frames do not carry is announced at once', () => {
    it('a to-device message nudges the connections of the named device only; `*` nudges every device', async () => {
      const anonymous = new TestClient(runtime.httpUrl);
      const recipient = await registerUser(anonymous);
      const otherDevice = await loginUser(anonymous, recipient.userId);
      const start = await sync(recipient.client);
      const named = track(await open(runtime.wsUrl, { access_token: recipient.accessToken, since: start.next_batch }));
      const unnamed = track(await open(runtime.wsUrl, { access_token: otherDevice.accessToken }));

      const sent = await alice.client.put(`${path.v3}/sendToDevice/m.room_key/nudge-1`, { messages: { [recipient.userId]: { [recipient.deviceId]: { session: 1 } } } });
      expect(sent.status).toBe(200);
      expect(await named.next(nudge('to_device'))).toEqual({ type: 'sync_needed', reason: 'to_device' });
      // The nudge comes after the commit: the catch-up it asks for has the message.
      const caughtUp = await sync(recipient.client, start.next_batch);
      expect(caughtUp.to_device?.events).toEqual([{ sender: alice.userId, type: 'm.room_key', content: { session: 1 } }]);

      expect((await alice.client.put(`${path.v3}/sendToDevice/m.dummy/nudge-2`, { messages: { [recipient.userId]: { '*': {} } } })).status).toBe(200);
      await unnamed.next(nudge('to_device'));
      await named.next(nudge('to_device'), named.frames.indexOf(nudges(named)[0]!) + 1);
      // The recipient's sends are applied in order: had the first nudged the unnamed device, it would have come first.
      expect(nudges(unnamed)).toHaveLength(1);
      expect(nudges(named)).toHaveLength(2);
      await Promise.all([named.close(), unnamed.close()]);
    });

    it("a room-mate's new device keys nudge every connection of the users sharing a room", async () => {
      const anonymous = new TestClient(runtime.httpUrl);
      const [watcher, uploader, stranger] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
      const roomId = await createRoom(watcher.client, { preset: 'public_chat' });
      expect((await uploader.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
      const start = await sync(watcher.client);
      const socket = track(await open(runtime.wsUrl, { access_token: watcher.accessToken }));
      const strangerSocket = track(await open(runtime.wsUrl, { access_token: stranger.accessToken }));

      expect((await uploader.client.post(`${path.v3}/keys/upload`, { device_keys: deviceKeysFor(uploader, signingKey()) })).status).toBe(200);
      expect(await socket.next(nudge('device_lists'))).toEqual({ type: 'sync_needed', reason: 'device_lists' });
      expect((await sync(watcher.client, start.next_batch)).device_lists?.changed).toContain(uploader.userId);

      // Someone sharing no room with the uploader is not told: the stranger's own upload comes first to him.
      expect((await stranger.client.post(`${path.v3}/keys/upload`, { device_keys: deviceKeysFor(stranger, signingKey()) })).status).toBe(200);
      await strangerSocket.next(nudge('device_lists'));
      expect(nudges(strangerSocket)).toHaveLength(1);
      await Promise.all([socket.close(), strangerSocket.close()]);
    });

    it('a claim of a device\'s one-time key nudges that device, whose next sync shows the lower count', async () => {
      const anonymous = new TestClient(runtime.httpUrl);
      const [owner, claimer] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
      const uploaded = await owner.client.post(`${path.v3}/keys/upload`, { one_time_keys: { 'curve25519:AAAA': 'key-a', 'curve25519:AAAB': 'key-b' } });
      expect(uploaded.status).toBe(200);
      const socket = track(await open(runtime.wsUrl, { access_token: owner.accessToken }));
      const claimed = await claimer.client.post(`${path.v3}/keys/claim`, { one_time_keys: { [owner.userId]: { [owner.deviceId]: 'curve25519' } } });
      expect(claimed.status).toBe(200);
      expect(await socket.next(nudge('one_time_keys'))).toEqual({ type: 'sync_needed', reason: 'one_time_keys' });
      const after = (await owner.client.get<{ device_one_time_keys_count?: Record<string, number> }>(`${path.v3}/sync`)).body;
      expect(after.device_one_time_keys_count?.curve25519).toBe(1);
      await socket.close();
    });

    it("the user's own account data change nudges their connections", async () => {
      const user = await registerUser(new TestClient(runtime.httpUrl));
      const start = await sync(user.client);
      const socket = track(await open(runtime.wsUrl, { access_token: user.accessToken }));
      const put = await user.client.put(`${path.v3}/user/${encodeURIComponent(user.userId)}/account_data/m.direct`, { [alice.userId]: ['!dm:axon'] });
      expect(put.status).toBe(200);
      expect(await socket.next(nudge('account_data'))).toEqual({ type: 'sync_needed', reason: 'account_data' });
      expect((await sync(user.client, start.next_batch)).account_data?.events).toContainEqual({ type: 'm.direct', content: { [alice.userId]: ['!dm:axon'] } });
      await socket.close();
    });
  });
});
