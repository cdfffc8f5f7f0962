// Simplified sliding sync (MSC4186) through the local runtime: lists over the user's rooms by
// activity with ranges and counts, room results (initial and incremental, required_state with
// pairs, `*`, `$LAZY`, `$ME` and the MSC's include/exclude form), invites' stripped state,
// subscriptions, long-polls woken by a message, the extensions, and what bad input is answered
// with. Every 200 is checked against the MSC's response schema (sliding-sync-support.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';
import { messageBodies, slidingSync, slidingSyncRaw } from './sliding-sync-support.ts';

const everything = { timeline_limit: 10, required_state: [['*', '*']] };

describe('simplified sliding sync (MSC4186)', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('sliding-sync', { sync: 'lambda' });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('lists the rooms newest activity first, windowed by ranges, with the count of all of them', async () => {
    const user = await registerUser(new TestClient(runtime.httpUrl));
    const rooms: string[] = [];
    for (const name of ['one', 'two', 'three']) rooms.push(await createRoom(user.client, { name }));
    // A message moves the oldest room to the top.
    await send(user.client, rooms[0]!, { msgtype: 'm.text', body: 'bump' });

    const res = await slidingSync(user.client, {
      lists: { all: { ranges: [[0, 1]], timeline_limit: 1, required_state: [['m.room.create', '']] } },
    });
    expect(res.lists?.all?.count).toBe(3);
    expect(Object.keys(res.rooms ?? {}).sort()).toEqual([rooms[0], rooms[2]].sort());
    const first = res.rooms![rooms[0]!]!;
    const second = res.rooms![rooms[2]!]!;
    expect(first.bump_stamp).toBeGreaterThanOrEqual(second.bump_stamp!);
    expect(first).toMatchObject({ initial: true, name: 'one', membership: 'join', lists: ['all'], joined_count: 1, invited_count: 0, limited: true, num_live: 0 });
    expect(messageBodies(first)).toEqual(['bump']);
    expect(first.prev_batch).toBeDefined();
    expect(first.required_state?.map((e) => e.type)).toEqual(['m.room.create']);
    expect(first.notification_count).toBe(0);

    // The MSC's body form: `range`, `pos` and `timeout` in the body.
    const second2 = await slidingSync(user.client, {
      lists: { all: { range: [2, 2], timeline_limit: 0, required_state: { include: [{ type: 'm.room.name', state_key: '' }] } } },
    });
    expect(Object.keys(second2.rooms ?? {})).toEqual([rooms[1]]);
    expect(second2.rooms![rooms[1]!]!.required_state?.map((e) => [e.type, 'content' in e ? e.content.name : undefined])).toEqual([['m.room.name', 'two']]);
    expect(second2.rooms![rooms[1]!]!.timeline).toEqual([]);
  });

  it('follows pos: a long-poll woken by a message gets exactly the new event; nothing new gets no rooms', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', name: 'follow' });
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'before' });
    const body = { conn_id: 'main', lists: { all: { ranges: [[0, 9]], ...everything } } };
    const initial = await slidingSync(alice.client, body);
    expect(messageBodies(initial.rooms?.[roomId])).toEqual(['before']);
    const state = initial.rooms![roomId]!.required_state!;
    expect(state.some((e) => e.type === 'm.room.create')).toBe(true);
    expect(state.some((e) => e.type === 'm.room.member' && e.state_key === alice.userId)).toBe(true);

    const idle = await slidingSync(alice.client, body, { pos: initial.pos, timeout: 0 });
    expect(idle.rooms ?? {}).toEqual({});
    expect(idle.lists?.all?.count).toBeGreaterThanOrEqual(1);

    const waiting = slidingSync(alice.client, body, { pos: idle.pos, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const sent = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'after' })).body.event_id;
    const woken = await waiting;
    const room = woken.rooms?.[roomId];
    expect(room?.timeline?.map((e) => e.event_id)).toEqual([sent]);
    expect(room).toMatchObject({ limited: false, num_live: 1, name: 'follow' });
    expect(room?.initial).toBeUndefined();
    expect(room?.required_state).toEqual([]);
    // The sending device sees its transaction id.
    expect(room?.timeline?.[0]?.unsigned?.transaction_id).toBeDefined();

    // A retry with the previous pos (the response was lost) answers the same event again.
    const retried = await slidingSync(alice.client, body, { pos: idle.pos, timeout: 0 });
    expect(retried.rooms?.[roomId]?.timeline?.map((e) => e.event_id)).toEqual([sent]);
    // The pos in the body works as in the query.
    const next = await slidingSync(alice.client, { ...body, pos: woken.pos, timeout: 0 });
    expect(next.rooms?.[roomId]).toBeUndefined();
  });

  it('shows an invite with its stripped state (both names), filters on is_invite, then the join as initial', async () => {
    const roomId = await createRoom(alice.client, { preset: 'private_chat', name: 'invite only' });
    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: bob.userId })).status).toBe(200);
    const body = {
      lists: {
        invites: { ranges: [[0, 9]], filters: { is_invite: true }, timeline_limit: 5, required_state: [] },
        joined: { ranges: [[0, 9]], filters: { is_invited: false }, timeline_limit: 5, required_state: [['m.room.member', '$ME']] },
      },
    };
    const res = await slidingSync(bob.client, body);
    expect(res.lists?.invites?.count).toBe(1);
    const invite = res.rooms?.[roomId];
    expect(invite).toMatchObject({ membership: 'invite', initial: true, lists: ['invites'] });
    expect(invite?.invite_state?.some((e) => e.type === 'm.room.name' && e.content.name === 'invite only')).toBe(true);
    expect(invite?.stripped_state).toEqual(invite?.invite_state);
    expect(invite?.timeline).toBeUndefined();

    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const joined = await slidingSync(bob.client, body, { pos: res.pos });
    expect(joined.lists?.invites?.count).toBe(0);
    const room = joined.rooms?.[roomId];
    expect(room).toMatchObject({ membership: 'join', initial: true, lists: ['joined'], joined_count: 2 });
    // $ME: the requester's own member event.
    expect(room?.required_state?.map((e) => [e.type, e.state_key])).toEqual([['m.room.member', bob.userId]]);
  });

  it('filters on the user\'s room tags (tags, not_tags) as Synapse does', async () => {
    const user = await registerUser(new TestClient(runtime.httpUrl));
    const [favourite, plain] = [await createRoom(user.client, { name: 'fav' }), await createRoom(user.client, { name: 'plain' })];
    const tagged = await user.client.put(`/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/rooms/${encodeURIComponent(favourite)}/tags/m.favourite`, { order: 0.5 });
    expect(tagged.status).toBe(200);
    const res = await slidingSync(user.client, {
      lists: {
        favourites: { ranges: [[0, 9]], filters: { tags: ['m.favourite', 'u.work'] }, timeline_limit: 0, required_state: [] },
        others: { ranges: [[0, 9]], filters: { not_tags: ['m.favourite'] }, timeline_limit: 0, required_state: [] },
      },
    });
    expect(res.lists?.favourites?.count).toBe(1);
    expect(res.lists?.others?.count).toBe(1);
    expect(res.rooms?.[favourite]?.lists).toEqual(['favourites']);
    expect(res.rooms?.[plain]?.lists).toEqual(['others']);
  });

  it('filters on spaces: the rooms their m.space.child events name, of the spaces the user is joined to, not of subspaces', async () => {
    const user = await registerUser(new TestClient(runtime.httpUrl));
    const space = await createRoom(user.client, { name: 'space', creation_content: { type: 'm.space' } });
    const subspace = await createRoom(user.client, { name: 'subspace', creation_content: { type: 'm.space' } });
    const [child, grandchild, unlinked, plain] = (await Promise.all(['child', 'grandchild', 'unlinked', 'plain'].map((name) => createRoom(user.client, { name })))) as [string, string, string, string];
    // A space the user is not in names the plain room: ignored.
    const foreign = await createRoom(alice.client, { name: 'foreign space', preset: 'public_chat', creation_content: { type: 'm.space' } });
    const link = async (client: TestClient, parent: string, roomId: string, content: Record<string, unknown>) =>
      expect((await client.put(path.room(parent, `state/m.space.child/${encodeURIComponent(roomId)}`), content)).status).toBe(200);
    await link(user.client, space, child, { via: ['localhost'] });
    await link(user.client, space, subspace, { via: ['localhost'] });
    await link(user.client, subspace, grandchild, { via: ['localhost'] });
    // Emptied: no longer a child.
    await link(user.client, space, unlinked, { via: ['localhost'] });
    await link(user.client, space, unlinked, {});
    await link(alice.client, foreign, plain, { via: ['localhost'] });
    const list = (spaces: string[]) => ({ ranges: [[0, 9]], filters: { spaces }, timeline_limit: 0, required_state: [] });
    const res = await slidingSync(user.client, {
      lists: { space: list([space]), both: list([space, subspace]), foreign: list([foreign, '!unknown:localhost']) },
    });
    const listed = (name: string) => Object.entries(res.rooms ?? {}).filter(([, r]) => r.lists?.includes(name)).map(([id]) => id).sort();
    expect(res.lists?.space?.count).toBe(2);
    expect(listed('space')).toEqual([child, subspace].sort());
    expect(res.lists?.both?.count).toBe(3);
    expect(listed('both')).toEqual([child, subspace, grandchild].sort());
    expect(res.lists?.foreign?.count).toBe(0);
    expectError(await slidingSyncRaw(user.client, { lists: { bad: { ...list([]), filters: { spaces: 'not a list' } } } }), 400, 'M_BAD_JSON');
  });

  it('serves $LAZY members of the timeline, room subscriptions (sticky) and heroes of unnamed rooms', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    await send(bob.client, roomId, { msgtype: 'm.text', body: 'from bob' });
    const res = await slidingSync(alice.client, {
      room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [['m.room.member', '$LAZY'], ['m.room.create', '']] } },
    });
    const room = res.rooms?.[roomId];
    expect(messageBodies(room)).toEqual(['from bob']);
    expect(room?.lists).toBeUndefined();
    expect(room?.required_state?.map((e) => [e.type, e.state_key]).sort()).toEqual([['m.room.create', ''], ['m.room.member', bob.userId]]);
    expect(room?.name).toBeUndefined();
    expect(room?.heroes?.map((h) => h.user_id)).toEqual([bob.userId]);

    // The subscription stays without being sent again.
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'from alice' });
    const next = await slidingSync(alice.client, {}, { pos: res.pos });
    expect(messageBodies(next.rooms?.[roomId])).toEqual(['from alice']);
    const gone = await slidingSync(alice.client, { unsubscribe_rooms: [roomId] }, { pos: next.pos });
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'unseen' });
    const after = await slidingSync(alice.client, {}, { pos: gone.pos });
    expect(after.rooms?.[roomId]).toBeUndefined();
  });

  it('delivers the extensions: account data, typing, receipts, to-device and e2ee', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', name: 'ext' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const msg = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'read me' })).body.event_id;
    await bob.client.put(`${path.v3}/user/${encodeURIComponent(bob.userId)}/account_data/org.example.flag`, { on: true });
    const extensions = { account_data: { enabled: true }, typing: { enabled: true }, receipts: { enabled: true }, to_device: { enabled: true }, e2ee: { enabled: true } };
    const body = { lists: { all: { ranges: [[0, 0]], timeline_limit: 1, required_state: [] } }, extensions };
    const first = await slidingSync(bob.client, body);
    const global = first.extensions?.account_data?.global ?? [];
    expect(global.find((e) => e.type === 'org.example.flag')?.content).toEqual({ on: true });
    expect(global.some((e) => e.type === 'm.push_rules')).toBe(true);
    expect(first.extensions?.e2ee?.device_lists).toEqual({ changed: [], left: [] });
    expect(first.extensions?.e2ee?.device_one_time_keys_count).toBeDefined();
    expect(first.extensions?.to_device?.events).toEqual([]);

    // Typing and a receipt from alice, a to-device message to bob's device: the next polls have them.
    expect((await alice.client.put(path.room(roomId, `typing/${encodeURIComponent(alice.userId)}`), { typing: true, timeout: 20_000 })).status).toBe(200);
    expect((await alice.client.post(path.room(roomId, `receipt/m.read/${encodeURIComponent(msg)}`), {})).status).toBe(200);
    expect(
      (await alice.client.put(`${path.v3}/sendToDevice/org.example.ping/txn1`, { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } })).status,
    ).toBe(200);
    let pos = first.pos;
    let toDeviceSince = first.extensions?.to_device?.next_batch;
    const seen = { typing: false, receipt: false, toDevice: false };
    for (let i = 0; i < 10 && !(seen.typing && seen.receipt && seen.toDevice); i++) {
      // Lists are not sticky (the MSC's changelog): every request names them, as matrix-js-sdk does.
      const next = await slidingSync(bob.client, { ...body, extensions: { to_device: { since: toDeviceSince } } }, { pos, timeout: 5_000 });
      pos = next.pos;
      toDeviceSince = next.extensions?.to_device?.next_batch ?? toDeviceSince;
      seen.typing ||= (next.extensions?.typing?.rooms[roomId]?.content.user_ids as string[] | undefined)?.includes(alice.userId) ?? false;
      seen.receipt ||= Object.keys(next.extensions?.receipts?.rooms[roomId]?.content ?? {}).includes(msg);
      seen.toDevice ||= next.extensions?.to_device?.events.some((e) => e.type === 'org.example.ping' && e.sender === alice.userId) ?? false;
    }
    expect(seen).toEqual({ typing: true, receipt: true, toDevice: true });
  });

  it("scopes receipts, typing and room account data to the lists and subscriptions their `lists`/`rooms` name, and keeps the scope", async () => {
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const [subscribedRoom, windowRoom] = [await createRoom(alice.client, { preset: 'public_chat' }), await createRoom(alice.client, { preset: 'public_chat' })];
    for (const roomId of [subscribedRoom, windowRoom]) {
      expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
      const msg = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'hi' })).body.event_id;
      expect((await alice.client.post(path.room(roomId, `receipt/m.read/${encodeURIComponent(msg)}`), {})).status).toBe(200);
      expect((await alice.client.put(path.room(roomId, `typing/${encodeURIComponent(alice.userId)}`), { typing: true, timeout: 30_000 })).status).toBe(200);
      expect((await carol.client.put(`${path.v3}/user/${encodeURIComponent(carol.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/org.example.note`, { room: roomId })).status).toBe(200);
    }
    // The window of one room holds the newest: windowRoom (its message came last).
    const lists = { recent: { ranges: [[0, 0]], timeline_limit: 0, required_state: [] } };
    const room_subscriptions = { [subscribedRoom]: { timeline_limit: 0, required_state: [] } };
    const first = await slidingSync(carol.client, {
      conn_id: 'scoped',
      lists,
      room_subscriptions,
      extensions: {
        receipts: { enabled: true, lists: ['recent'], rooms: [] },
        typing: { enabled: true, lists: [], rooms: ['*'] },
        account_data: { enabled: true, lists: ['no such list'], rooms: [subscribedRoom, '!not-subscribed:localhost'] },
      },
    });
    expect(Object.keys(first.rooms ?? {}).sort()).toEqual([subscribedRoom, windowRoom].sort());
    expect(Object.keys(first.extensions?.receipts?.rooms ?? {})).toEqual([windowRoom]);
    expect(Object.keys(first.extensions?.typing?.rooms ?? {})).toEqual([subscribedRoom]);
    expect(Object.keys(first.extensions?.account_data?.rooms ?? {})).toEqual([subscribedRoom]);

    // Sticky: a request that leaves the keys out keeps them; new receipts in both rooms, one shown.
    for (const roomId of [subscribedRoom, windowRoom]) {
      const msg = (await send(carol.client, roomId, { msgtype: 'm.text', body: 'read?' })).body.event_id;
      expect((await alice.client.post(path.room(roomId, `receipt/m.read/${encodeURIComponent(msg)}`), {})).status).toBe(200);
    }
    const newest = await send(carol.client, windowRoom, { msgtype: 'm.text', body: 'last' });
    expect((await alice.client.post(path.room(windowRoom, `receipt/m.read/${encodeURIComponent(newest.body.event_id)}`), {})).status).toBe(200);
    let pos = first.pos;
    const receiptRooms = new Set<string>();
    for (let i = 0; i < 10 && !receiptRooms.has(windowRoom); i++) {
      const next = await slidingSync(carol.client, { conn_id: 'scoped', lists }, { pos, timeout: 5_000 });
      pos = next.pos;
      for (const roomId of Object.keys(next.extensions?.receipts?.rooms ?? {})) receiptRooms.add(roomId);
    }
    expect([...receiptRooms]).toEqual([windowRoom]);

    // Back to the default (every list and subscription): the subscribed room's new receipt comes too.
    const later = await send(carol.client, subscribedRoom, { msgtype: 'm.text', body: 'and this?' });
    expect((await alice.client.post(path.room(subscribedRoom, `receipt/m.read/${encodeURIComponent(later.body.event_id)}`), {})).status).toBe(200);
    let seen = false;
    for (let i = 0; i < 10 && !seen; i++) {
      const next = await slidingSync(carol.client, { conn_id: 'scoped', lists, extensions: { receipts: { lists: ['*'], rooms: ['*'] } } }, { pos, timeout: 5_000 });
      pos = next.pos;
      seen = Object.keys(next.extensions?.receipts?.rooms[subscribedRoom]?.content ?? {}).includes(later.body.event_id);
    }
    expect(seen).toBe(true);
  });

  it('a room brought into the receipts or typing scope later, or present when they are turned on, gets its current receipts and typing', async () => {
    const dan = await registerUser(new TestClient(runtime.httpUrl));
    const [subscribedRoom, windowRoom] = [await createRoom(alice.client, { preset: 'public_chat' }), await createRoom(alice.client, { preset: 'public_chat' })];
    const read: Record<string, string> = {};
    for (const roomId of [subscribedRoom, windowRoom]) {
      expect((await dan.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
      read[roomId] = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'hi' })).body.event_id;
      expect((await alice.client.post(path.room(roomId, `receipt/m.read/${encodeURIComponent(read[roomId]!)}`), {})).status).toBe(200);
    }
    expect((await alice.client.put(path.room(subscribedRoom, `typing/${encodeURIComponent(alice.userId)}`), { typing: true, timeout: 60_000 })).status).toBe(200);
    const lists = { recent: { ranges: [[0, 0]], timeline_limit: 0, required_state: [] } };
    const room_subscriptions = { [subscribedRoom]: { timeline_limit: 0, required_state: [] } };
    // Typing is applied by the ephemeral topology's next microbatch: wait until another connection sees it.
    await expect
      .poll(async () => (await slidingSync(dan.client, { conn_id: 'typing-probe', lists: {}, room_subscriptions, extensions: { typing: { enabled: true } } })).extensions?.typing?.rooms[subscribedRoom]?.content)
      .toEqual({ user_ids: [alice.userId] });
    // Receipts cover the window only; typing is off.
    const first = await slidingSync(dan.client, { conn_id: 'later', lists, room_subscriptions, extensions: { receipts: { enabled: true, lists: ['recent'], rooms: [] } } });
    expect(Object.keys(first.rooms ?? {}).sort()).toEqual([subscribedRoom, windowRoom].sort());
    expect(Object.keys(first.extensions?.receipts?.rooms ?? {})).toEqual([windowRoom]);
    const second = await slidingSync(dan.client, { conn_id: 'later', lists }, { pos: first.pos, timeout: 0 });
    expect(second.extensions?.receipts?.rooms ?? {}).toEqual({});
    // The subscription comes into the receipts' scope and typing is turned on: nothing changed
    // there since, yet the room's current receipt and typing come.
    const third = await slidingSync(dan.client, { conn_id: 'later', lists, extensions: { receipts: { rooms: ['*'] }, typing: { enabled: true } } }, { pos: second.pos, timeout: 0 });
    expect(Object.keys(third.rooms ?? {})).toEqual([]);
    expect(Object.keys(third.extensions?.receipts?.rooms ?? {})).toEqual([subscribedRoom]);
    expect(Object.keys(third.extensions?.receipts?.rooms[subscribedRoom]?.content ?? {})).toContain(read[subscribedRoom]);
    expect(third.extensions?.typing?.rooms[subscribedRoom]?.content).toEqual({ user_ids: [alice.userId] });
    // Covered from then on: only changes.
    const fourth = await slidingSync(dan.client, { conn_id: 'later', lists }, { pos: third.pos, timeout: 0 });
    expect(fourth.extensions?.receipts?.rooms ?? {}).toEqual({});
    expect(fourth.extensions?.typing?.rooms ?? {}).toEqual({});
  });

  it('answers an unknown, foreign or malformed pos with 400 M_UNKNOWN_POS', async () => {
    const res = await slidingSync(alice.client, { conn_id: 'mine', lists: {} });
    // Another user, another connection id, a made-up position: all unknown.
    expectError(await slidingSyncRaw(bob.client, { conn_id: 'mine' }, { pos: res.pos }), 400, 'M_UNKNOWN_POS');
    expectError(await slidingSyncRaw(alice.client, { conn_id: 'other' }, { pos: res.pos }), 400, 'M_UNKNOWN_POS');
    expectError(await slidingSyncRaw(alice.client, { conn_id: 'mine' }, { pos: 'ss1.000000000000000000000000.s1_e30' }), 400, 'M_UNKNOWN_POS');
    expectError(await slidingSyncRaw(alice.client, { conn_id: 'mine' }, { pos: 'garbage' }), 400, 'M_UNKNOWN_POS');
    // The real one still works.
    expect((await slidingSyncRaw(alice.client, { conn_id: 'mine' }, { pos: res.pos })).status).toBe(200);
  });

  it('refuses bad input with the Matrix error the MSC names, never a 500', async () => {
    const list = (extra: Record<string, unknown>) => ({ lists: { a: { ranges: [[0, 1]], timeline_limit: 1, required_state: [], ...extra } } });
    expectError(await slidingSyncRaw(new TestClient(runtime.httpUrl), {}), 401, 'M_MISSING_TOKEN');
    expectError(await slidingSyncRaw(alice.client, list({ ranges: [[3, 1]] })), 400, 'M_INVALID_PARAM');
    expectError(await slidingSyncRaw(alice.client, list({ ranges: [[-1, 1]] })), 400, 'M_BAD_JSON');
    expectError(await slidingSyncRaw(alice.client, list({ timeline_limit: 'ten' })), 400, 'M_BAD_JSON');
    expectError(await slidingSyncRaw(alice.client, list({ required_state: [['m.room.create']] })), 400, 'M_BAD_JSON');
    expectError(await slidingSyncRaw(alice.client, { lists: { a: { ranges: [[0, 1]], required_state: [] } } }), 400, 'M_MISSING_PARAM');
    expectError(await slidingSyncRaw(alice.client, { lists: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, list({}).lists.a])) }), 400, 'M_INVALID_PARAM');
    expectError(await slidingSyncRaw(alice.client, { room_subscriptions: { '': { timeline_limit: 1, required_state: [] } } }), 400, 'M_BAD_JSON');
    expectError(await slidingSyncRaw(alice.client, { set_presence: 'away' }), 400, 'M_INVALID_PARAM');
    expectError(await slidingSyncRaw(alice.client, {}, { timeout: 'soon' }), 400, 'M_INVALID_PARAM');
    expectError(await slidingSyncRaw(alice.client, { extensions: { to_device: { since: 'x' } } }), 400, 'M_INVALID_PARAM');
    // Sticky subscriptions are kept per position: more than a position can hold is refused, not a 500.
    const big = Array.from({ length: 100 }, (_, i) => [`m.example.${'x'.repeat(150)}`, `${i}${'k'.repeat(150)}`]);
    const subs = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`!big${i}:localhost`, { timeline_limit: 1, required_state: big }]));
    expectError(await slidingSyncRaw(alice.client, { room_subscriptions: subs }), 400, 'M_INVALID_PARAM');
    const notJson = await alice.client.post('/_matrix/client/unstable/org.matrix.simplified_msc3575/sync', undefined, { rawBody: '{', headers: { 'content-type': 'application/json' }, unchecked: true });
    expectError(notJson, 400, 'M_NOT_JSON');
  });
});
