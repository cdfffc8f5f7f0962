// GET /sync through the local runtime: initial and incremental syncs, invites, joins, leaves and
// kicks exactly once, limited timelines continued with /messages, filters, account data,
// long-polls woken by a message, and malformed parameters. Every response is checked against the
// spec's sync schema by the TestClient. Run against the sync service (sync.test.ts) and the sync
// function, the Lambda route (sync-lambda.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { roomOnlineMembers } from '../../lib/matrix/pstates.ts';
import { onlineMembers } from '../../lib/matrix/sync/wake.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime, type SyncRoute } from '../support/runtime.ts';
import { until } from '../support/poll.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface SyncEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  room_id?: string;
  unsigned?: Record<string, unknown>;
}
interface JoinedRoom {
  timeline: { events: SyncEvent[]; limited?: boolean; prev_batch?: string };
  state: { events: SyncEvent[] };
  account_data?: { events: { type: string; content: Record<string, unknown> }[] };
  summary?: Record<string, unknown>;
}
interface SyncBody {
  next_batch: string;
  rooms?: {
    join?: Record<string, JoinedRoom>;
    invite?: Record<string, { invite_state: { events: SyncEvent[] } }>;
    leave?: Record<string, { timeline: { events: SyncEvent[] }; state: { events: SyncEvent[] } }>;
  };
  account_data?: { events: { type: string; content: Record<string, unknown> }[] };
  presence?: { events: unknown[] };
}

function syncPath(params: Record<string, string | number | boolean | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  const q = query.toString();
  return `${path.v3}/sync${q ? `?${q}` : ''}`;
}

async function sync(client: TestClient, params: Record<string, string | number | boolean | undefined> = {}): Promise<SyncBody> {
  const res = await client.get<SyncBody>(syncPath(params));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const bodies = (room: JoinedRoom | undefined) => (room?.timeline.events ?? []).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

export const describeSync = (route: SyncRoute) => describe(`GET /sync (${route})`, () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime(`sync-${route}`, { sync: route });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('initial sync: the joined room with its latest events and full state; incremental: exactly the new events', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', name: 'first' });
    const sent = [];
    for (const body of ['one', 'two', 'three']) sent.push((await send(alice.client, roomId, { msgtype: 'm.text', body }, `txn-${body}`)).body.event_id);

    const initial = await sync(alice.client);
    expect(initial.next_batch).toMatch(/^s1_/);
    const room = initial.rooms?.join?.[roomId];
    expect(room).toBeDefined();
    expect(bodies(room)).toEqual(['one', 'two', 'three']);
    const timelineIds = room!.timeline.events.map((e) => e.event_id);
    expect(timelineIds.slice(-3)).toEqual(sent);
    // room-scoped format, and the sender's device sees its transaction ids
    expect(room!.timeline.events.every((e) => e.room_id === undefined)).toBe(true);
    expect(room!.timeline.events.at(-1)?.unsigned?.transaction_id).toBe('txn-three');
    // state and timeline together hold the room's state, without repeats
    const all = [...room!.state.events, ...room!.timeline.events];
    expect(all.some((e) => e.type === 'm.room.create')).toBe(true);
    expect(all.some((e) => e.type === 'm.room.name' && e.content.name === 'first')).toBe(true);
    expect(new Set(all.map((e) => e.event_id)).size).toBe(all.length);
    expect(room!.summary?.['m.joined_member_count']).toBe(1);
    // push rules arrive as global account data
    expect(initial.account_data?.events.some((e) => e.type === 'm.push_rules')).toBe(true);

    // nothing new: an empty but valid delta, and the same chain continues
    const idle = await sync(alice.client, { since: initial.next_batch });
    expect(idle.rooms?.join?.[roomId]).toBeUndefined();

    const four = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'four' })).body.event_id;
    const next = await sync(alice.client, { since: idle.next_batch });
    const delta = next.rooms?.join?.[roomId];
    expect(delta?.timeline.events.map((e) => e.event_id)).toEqual([four]);
    expect(delta?.timeline.limited).toBe(false);
    expect(delta?.state.events).toEqual([]);
    expect(delta?.timeline.events[0]?.unsigned?.transaction_id).toBeDefined();
    // another device of the same user, on the same token chain, does not see the transaction id
    const other = await loginUser(new TestClient(runtime.httpUrl), alice.userId);
    const fromOther = await sync(other.client, { since: idle.next_batch });
    expect(fromOther.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([four]);
    expect(fromOther.rooms?.join?.[roomId]?.timeline.events[0]?.unsigned?.transaction_id).toBeUndefined();
  });

  it('an invite appears in rooms.invite with stripped state, then the join in rooms.join', async () => {
    const roomId = await createRoom(alice.client, { preset: 'private_chat', name: 'secret' });
    const start = await sync(bob.client);
    expect(start.rooms?.invite?.[roomId]).toBeUndefined();
    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: bob.userId })).status).toBe(200);

    const invited = await sync(bob.client, { since: start.next_batch });
    const invite = invited.rooms?.invite?.[roomId];
    expect(invite).toBeDefined();
    const types = invite!.invite_state.events.map((e) => e.type);
    expect(types).toContain('m.room.create');
    expect(invite!.invite_state.events).toContainEqual(expect.objectContaining({ type: 'm.room.name', content: { name: 'secret' } }));
    expect(invite!.invite_state.events).toContainEqual(
      expect.objectContaining({ type: 'm.room.member', state_key: bob.userId, content: expect.objectContaining({ membership: 'invite' }) }),
    );
    // stripped: no event ids
    expect(invite!.invite_state.events.every((e) => e.event_id === undefined)).toBe(true);
    expect(invited.rooms?.join?.[roomId]).toBeUndefined();

    // exactly once
    const again = await sync(bob.client, { since: invited.next_batch });
    expect(again.rooms?.invite?.[roomId]).toBeUndefined();

    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const joined = await sync(bob.client, { since: again.next_batch });
    const room = joined.rooms?.join?.[roomId];
    expect(room).toBeDefined();
    const all = [...room!.state.events, ...room!.timeline.events];
    expect(all).toContainEqual(expect.objectContaining({ type: 'm.room.member', state_key: bob.userId, content: expect.objectContaining({ membership: 'join' }) }));
    expect(all.some((e) => e.type === 'm.room.create')).toBe(true);
    expect(joined.rooms?.invite?.[roomId]).toBeUndefined();
  });

  // Complement tests/csapi/ignored_users_test.go TestInviteFromIgnoredUsersDoesNotAppearInSync.
  it('leaves out invites from users the invitee ignores (m.ignored_user_list), initial and incremental', async () => {
    const dave = await registerUser(new TestClient(runtime.httpUrl));
    const set = await dave.client.put(`${path.v3}/user/${encodeURIComponent(dave.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.userId]: {} } });
    expect(set.status).toBe(200);
    const since = (await sync(dave.client)).next_batch;
    const bobRoom = await createRoom(bob.client, { preset: 'private_chat', invite: [dave.userId] });
    const carolRoom = await createRoom(carol.client, { preset: 'private_chat', invite: [dave.userId] });
    const incremental = await until(() => sync(dave.client, { since, timeout: 0 }), (s) => s.rooms?.invite?.[carolRoom] !== undefined, 'carol invite');
    expect(incremental.rooms?.invite?.[bobRoom]).toBeUndefined();
    const initial = await sync(dave.client);
    expect(initial.rooms?.invite?.[carolRoom]).toBeDefined();
    expect(initial.rooms?.invite?.[bobRoom]).toBeUndefined();
  });

  it('a leave and a kick appear in rooms.leave exactly once, with the timeline up to the leave', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const bobStart = await sync(bob.client);
    const carolStart = await sync(carol.client);
    expect(bobStart.rooms?.join?.[roomId]).toBeDefined();

    await send(alice.client, roomId, { msgtype: 'm.text', body: 'before' });
    expect((await bob.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect((await alice.client.post(path.room(roomId, 'kick'), { user_id: carol.userId, reason: 'bye' })).status).toBe(200);
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'after' });

    for (const [user, start, membership] of [
      [bob, bobStart, 'leave'],
      [carol, carolStart, 'leave'],
    ] as const) {
      const left = await sync(user.client, { since: start.next_batch });
      expect(left.rooms?.join?.[roomId]).toBeUndefined();
      const room = left.rooms?.leave?.[roomId];
      expect(room).toBeDefined();
      const events = room!.timeline.events;
      expect(events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body)).toContain('before');
      expect(events.some((e) => e.content.body === 'after')).toBe(false);
      const last = events.at(-1)!;
      expect(last).toMatchObject({ type: 'm.room.member', state_key: user.userId, content: { membership } });
      const again = await sync(user.client, { since: left.next_batch });
      expect(again.rooms?.leave?.[roomId]).toBeUndefined();
      expect(again.rooms?.join?.[roomId]).toBeUndefined();
    }
    // an initial sync shows left rooms only when the filter asks for them
    expect((await sync(bob.client)).rooms?.leave?.[roomId]).toBeUndefined();
    const withLeave = await sync(bob.client, { filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(withLeave.rooms?.leave?.[roomId]).toBeDefined();
  });

  it('a profile change in a joined room arrives as one member event, not as a new join', async () => {
    const roomId = await createRoom(carol.client, { preset: 'public_chat' });
    await send(carol.client, roomId, { msgtype: 'm.text', body: 'hello' });
    const start = await sync(carol.client);
    const renamed = await carol.client.put(`${path.v3}/profile/${encodeURIComponent(carol.userId)}/displayname`, { displayname: 'Carol C' });
    expect(renamed.status).toBe(200);
    let since = start.next_batch;
    let room: JoinedRoom | undefined;
    for (let i = 0; i < 10 && !room; i++) {
      const res = await sync(carol.client, { since, timeout: 2000 });
      room = res.rooms?.join?.[roomId];
      since = res.next_batch;
    }
    expect(room?.timeline.events).toEqual([
      expect.objectContaining({ type: 'm.room.member', state_key: carol.userId, content: expect.objectContaining({ displayname: 'Carol C' }) }),
    ]);
    expect(room?.state.events).toEqual([]);
  });

  it('limited timelines: prev_batch continues with /messages to exactly the missing events', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    const start = await sync(alice.client);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await send(alice.client, roomId, { msgtype: 'm.text', body: `m${i}` })).body.event_id);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 } } });
    const delta = await sync(alice.client, { since: start.next_batch, filter });
    const room = delta.rooms?.join?.[roomId];
    expect(room?.timeline.limited).toBe(true);
    expect(room?.timeline.events.map((e) => e.event_id)).toEqual(ids.slice(4));
    expect(room?.timeline.prev_batch).toBeDefined();
    const older = await alice.client.get<{ chunk: SyncEvent[] }>(
      `${path.room(roomId, 'messages')}?dir=b&limit=4&from=${encodeURIComponent(room!.timeline.prev_batch!)}`,
    );
    expect(older.status).toBe(200);
    expect(older.body.chunk.map((e) => e.event_id)).toEqual(ids.slice(0, 4).reverse());
  });

  it('a limited incremental sync sends the state delta between the token and the window, not the whole state', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', name: 'before' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const start = await sync(alice.client, { filter: JSON.stringify({ room: { rooms: [roomId] } }) });
    const setState = async (type: string, stateKey: string, content: Record<string, unknown>) => {
      const res = await alice.client.put<{ event_id: string }>(path.room(roomId, `state/${type}/${stateKey}`), content);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.event_id;
    };
    // The gap: many state changes (one key twice), a join and a leave; then the window.
    const gap = [
      await setState('m.room.name', '', { name: 'after' }),
      await setState('m.room.topic', '', { topic: 'topic' }),
      await setState('org.example.thing', 'a', { n: 1 }),
      await setState('org.example.thing', 'b', { n: 1 }),
    ];
    await setState('org.example.thing', 'c', { n: 1 });
    gap.push(await setState('org.example.thing', 'c', { n: 2 }));
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect((await bob.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    const window: string[] = [];
    for (let i = 0; i < 4; i++) window.push((await send(i % 2 ? carol.client : alice.client, roomId, { msgtype: 'm.text', body: `w${i}` })).body.event_id);

    const stateOf = (room: JoinedRoom | undefined) => (room?.state.events ?? []).map((e) => `${e.type}|${e.state_key}`).sort();
    const delta = (await sync(alice.client, { since: start.next_batch, filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 4 } } }) }))
      .rooms?.join?.[roomId];
    expect(delta?.timeline.limited).toBe(true);
    expect(delta?.timeline.events.map((e) => e.event_id)).toEqual(window);
    expect(stateOf(delta)).toEqual(
      ['m.room.name|', 'm.room.topic|', 'org.example.thing|a', 'org.example.thing|b', 'org.example.thing|c', `m.room.member|${carol.userId}`, `m.room.member|${bob.userId}`].sort(),
    );
    const byKey = new Map(delta!.state.events.map((e) => [`${e.type}|${e.state_key}`, e]));
    expect(byKey.get('m.room.name|')?.event_id).toBe(gap[0]);
    expect(byKey.get('org.example.thing|c')?.content).toEqual({ n: 2 });
    expect(byKey.get(`m.room.member|${bob.userId}`)?.content.membership).toBe('leave');

    // Lazy-loaded members: the non-member delta and only the members of the window's senders.
    const lazy = (
      await sync(alice.client, {
        since: start.next_batch,
        filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 4 }, state: { lazy_load_members: true } } }),
      })
    ).rooms?.join?.[roomId];
    expect(lazy?.timeline.limited).toBe(true);
    expect(stateOf(lazy)).toEqual(
      ['m.room.name|', 'm.room.topic|', 'org.example.thing|a', 'org.example.thing|b', 'org.example.thing|c', `m.room.member|${alice.userId}`, `m.room.member|${carol.userId}`].sort(),
    );

    // full_state: everything before the window, the create event included.
    const full = (await sync(alice.client, { since: start.next_batch, full_state: true, filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 4 } } }) }))
      .rooms?.join?.[roomId];
    expect(stateOf(full)).toEqual(expect.arrayContaining(['m.room.create|', 'm.room.join_rules|', 'm.room.power_levels|', `m.room.member|${alice.userId}`, 'm.room.name|']));

    // A limited sync with no state change in its gap sends no state.
    const quiet = (await sync(alice.client, { filter: JSON.stringify({ room: { rooms: [roomId] } }) })).next_batch;
    for (let i = 0; i < 3; i++) await send(alice.client, roomId, { msgtype: 'm.text', body: `more ${i}` });
    const none = await until(
      async () => (await sync(alice.client, { since: quiet, filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 2 } } }) })).rooms?.join?.[roomId],
      (room) => bodies(room).includes('more 2'),
      'the last message in a sync',
    );
    expect(none?.timeline.limited).toBe(true);
    expect(none?.state.events).toEqual([]);
  });

  it('timelines carry bundled aggregations: m.thread (count, latest reply, participation) and m.replace', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const onlyRoom = (extra: Record<string, unknown> = {}) => JSON.stringify({ room: { rooms: [roomId], ...extra } });
    const root = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'root' })).body.event_id;
    const reply = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: root } })).body.event_id;
    const original = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'tpyo' })).body.event_id;
    const edit = (
      await send(alice.client, roomId, { msgtype: 'm.text', body: '* typo', 'm.new_content': { msgtype: 'm.text', body: 'typo' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original } })
    ).body.event_id;
    const relationsOf = (room: JoinedRoom | undefined, id: string) => room?.timeline.events.find((e) => e.event_id === id)?.unsigned?.['m.relations'] as
      | { 'm.thread'?: { count: number; current_user_participated: boolean; latest_event: SyncEvent }; 'm.replace'?: SyncEvent }
      | undefined;

    const initial = await sync(alice.client, { filter: onlyRoom() });
    const room = initial.rooms?.join?.[roomId];
    const thread = relationsOf(room, root)?.['m.thread'];
    expect(thread?.count).toBe(1);
    expect(thread?.latest_event.event_id).toBe(reply);
    expect(thread?.latest_event.room_id).toBeUndefined();
    expect(thread?.current_user_participated).toBe(true);
    expect(relationsOf(room, original)?.['m.replace']?.event_id).toBe(edit);
    expect(relationsOf(room, reply)).toBeUndefined();

    // Participation is the viewer's: carol (joined later, shared history) did not reply.
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const carols = (await sync(carol.client, { filter: onlyRoom() })).rooms?.join?.[roomId];
    expect(relationsOf(carols, root)?.['m.thread']?.current_user_participated).toBe(false);

    // Incremental: a new root with two replies in the same window.
    const root2 = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'root2' })).body.event_id;
    for (const body of ['r1', 'r2']) await send(carol.client, roomId, { msgtype: 'm.text', body, 'm.relates_to': { rel_type: 'm.thread', event_id: root2 } });
    const delta = (await sync(alice.client, { since: initial.next_batch, filter: onlyRoom() })).rooms?.join?.[roomId];
    expect(relationsOf(delta, root2)?.['m.thread']?.count).toBe(2);
    expect(relationsOf(delta, root2)?.['m.thread']?.current_user_participated).toBe(true);
  });

  it("the wake fan-out deletes expired roomOnlineMembers entries it finds, and keeps live ones", async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    // (alice, the creator, may be registered too when she long-polled earlier: left out of the checks)
    const entries = async () => (await roomOnlineMembers.key(roomId).range({ consistent: true })).entries.map(([id]) => id).filter((id) => id !== alice.userId).sort();
    // A registration that ran out long ago (the user stopped polling) and a live one.
    await commit([roomOnlineMembers.key(roomId).key(carol.userId).set(Date.now() - 60_000), roomOnlineMembers.key(roomId).key(bob.userId).set(Date.now() + 600_000)]);
    expect(await entries()).toEqual([bob.userId, carol.userId].sort());
    // Readers that may not write (the ephemeral topology, pushes) only skip it.
    expect((await onlineMembers(roomId)).filter((id) => id !== alice.userId)).toEqual([bob.userId]);
    expect(await entries()).toContain(carol.userId);
    // The rooms topology's wake fan-out after a message deletes it.
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'wake' });
    for (let i = 0; i < 200 && (await entries()).includes(carol.userId); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await entries()).toEqual([bob.userId]);
    // the room's size of the map follows (it is kept in the parent item)
    expect(await roomOnlineMembers.key(roomId).count({ consistent: true })).toBe((await roomOnlineMembers.key(roomId).range({ consistent: true })).entries.length);
  });

  it('filters: an uploaded filter id, event types and senders, lazy-loaded members', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    await send(bob.client, roomId, { msgtype: 'm.text', body: 'from bob' });
    const uploaded = await alice.client.post<{ filter_id: string }>(`${path.v3}/user/${encodeURIComponent(alice.userId)}/filter`, {
      room: { rooms: [roomId], timeline: { types: ['m.room.message'] }, state: { lazy_load_members: true } },
    });
    expect(uploaded.status).toBe(200);
    const res = await sync(alice.client, { filter: uploaded.body.filter_id });
    expect(Object.keys(res.rooms?.join ?? {})).toEqual([roomId]);
    const room = res.rooms!.join![roomId]!;
    expect(room.timeline.events.map((e) => e.type)).toEqual(['m.room.message']);
    const members = room.state.events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key).sort();
    expect(members).toEqual([alice.userId, bob.userId].sort());

    const senders = await sync(alice.client, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { senders: [alice.userId] } } }) });
    expect(senders.rooms?.join?.[roomId]?.timeline.events.every((e) => e.sender === alice.userId)).toBe(true);
    expectError(await alice.client.get(syncPath({ filter: '999999' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(syncPath({ filter: '{"room": 5' })), 400, 'M_BAD_JSON');
  });

  it('account data: all on an initial sync, only changes on an incremental one, room data in the room', async () => {
    const roomId = await createRoom(carol.client, { preset: 'public_chat' });
    const user = encodeURIComponent(carol.userId);
    expect((await carol.client.put(`${path.v3}/user/${user}/account_data/org.example.a`, { n: 1 })).status).toBe(200);
    const start = await sync(carol.client);
    expect(start.account_data?.events).toContainEqual({ type: 'org.example.a', content: { n: 1 } });

    expect((await carol.client.put(`${path.v3}/user/${user}/account_data/org.example.b`, { n: 2 })).status).toBe(200);
    expect((await carol.client.put(`${path.v3}/user/${user}/rooms/${encodeURIComponent(roomId)}/account_data/org.example.r`, { r: true })).status).toBe(200);
    const delta = await sync(carol.client, { since: start.next_batch });
    expect(delta.account_data?.events).toEqual([{ type: 'org.example.b', content: { n: 2 } }]);
    expect(delta.rooms?.join?.[roomId]?.account_data?.events).toEqual([{ type: 'org.example.r', content: { r: true } }]);
    const idle = await sync(carol.client, { since: delta.next_batch });
    expect(idle.account_data?.events ?? []).toEqual([]);
  });

  it('a long-poll returns as soon as a message arrives, and an empty delta at its timeout', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    const start = await sync(alice.client);
    const waiting = sync(alice.client, { since: start.next_batch, timeout: 20_000 });
    // give the long-poll a moment to be waiting (not needed for correctness: either way it returns the event)
    await new Promise((r) => setTimeout(r, 300));
    const eventId = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'wake up' })).body.event_id;
    const woken = await waiting;
    expect(woken.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([eventId]);

    const quiet = await sync(alice.client, { since: woken.next_batch, timeout: 600 });
    expect(quiet.rooms?.join ?? {}).toEqual({});
    expect(quiet.next_batch).toMatch(/^s1_/);
  });

  it('a poll right after a long-poll answer may skip its first pass, yet returns what was committed in between', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    const start = await sync(alice.client);
    const waiting = sync(alice.client, { since: start.next_batch, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const first = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'one' })).body.event_id;
    const answered = await waiting;
    expect(answered.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([first]);
    // The answer's token names the wake count its pass started from (field w).
    const token = JSON.parse(Buffer.from(answered.next_batch.slice(3), 'base64url').toString('utf8')) as { w?: unknown };
    expect(token.w).toEqual([expect.any(Number), expect.any(Number)]);
    // Committed before the next poll: its wake bump tells that poll not to skip.
    const second = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'two' })).body.event_id;
    const next = await sync(alice.client, { since: answered.next_batch, timeout: 20_000 });
    expect(next.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([second]);
  });

  it('a to-device message wakes the recipient\'s waiting long-poll', async () => {
    // Let bob's own news (presence from his syncs) settle first, so only the message can wake him;
    // then a token from a poll that does not wait, so the poll below runs (and waits after) its first pass.
    let settled = await sync(bob.client);
    for (let i = 0; i < 10; i++) {
      settled = await sync(bob.client, { since: settled.next_batch, timeout: 1500 });
      if (!settled.presence?.events.length && !Object.keys(settled.rooms?.join ?? {}).length) break;
    }
    const start = await sync(bob.client, { since: settled.next_batch });
    const waiting = bob.client.get<{ to_device?: { events: { type: string; content: Record<string, unknown> }[] } }>(
      syncPath({ since: start.next_batch, timeout: 15_000 }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const sent = await alice.client.put(`${path.v3}/sendToDevice/m.test.wake/wake-1`, { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } });
    expect(sent.status).toBe(200);
    // Without the wake the poll would answer its first (empty) pass at the timeout.
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(woken.body.to_device?.events.map((e) => e.type)).toEqual(['m.test.wake']);
  });

  it('refuses malformed parameters and missing tokens', async () => {
    for (const since of ['garbage', 's1_', 's1_bm90IGpzb24', `s1_${Buffer.from('{"r":{"x":"-5"}}').toString('base64url')}`]) {
      expectError(await alice.client.get(syncPath({ since })), 400, 'M_INVALID_PARAM');
    }
    expectError(await alice.client.get(syncPath({ timeout: 'soon' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(syncPath({ full_state: 'maybe' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(syncPath({ set_presence: 'dancing' })), 400, 'M_INVALID_PARAM');
    expectError(await new TestClient(runtime.httpUrl).get(syncPath()), 401, 'M_MISSING_TOKEN');
    expectError(await new TestClient(runtime.httpUrl, 'nope').get(syncPath()), 401, 'M_UNKNOWN_TOKEN');
    // set_presence is accepted (presence itself is the ephemeral area's)
    const ok = await sync(alice.client, { set_presence: 'unavailable' });
    expect(Array.isArray(ok.presence?.events)).toBe(true);
  });
});
