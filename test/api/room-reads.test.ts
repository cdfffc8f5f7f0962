// The room read endpoints through the local runtime, over rooms written by the real rooms write
// path: joined rooms, members (at / membership / not_membership), joined members, state (all, one,
// format=event, state as it was when the reader left), one event, and event context.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { ClientEvent } from '../../lib/matrix/events.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError as expectMatrixError, type MatrixResponse } from '../support/matrix-client.ts';
import { validateResponse } from '../support/openapi.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send, timelineOf } from './rooms-support.ts';

/** expectError for responses typed by their success body. */
const expectError = (res: MatrixResponse<unknown>, status: number, errcode: string) => expectMatrixError(res as MatrixResponse, status, errcode);

const ids = (events: readonly ClientEvent[]) => events.map((e) => e.event_id);
const memberships = (events: readonly ClientEvent[]) =>
  Object.fromEntries(events.map((e) => [e.state_key, e.content.membership])) as Record<string, string>;

describe('room reads', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;
  let roomId: string;
  /** The pagination token just after bob left. */
  let afterBobLeft: string;
  let bobJoinId: string;
  let bobLeaveId: string;
  let messageIds: string[];

  const state = (user: RegisteredUser, rest = '') => user.client.get<ClientEvent[]>(path.room(roomId, `state${rest}`));
  const setState = async (type: string, stateKey: string, content: object) => {
    const res = await alice.client.put<{ event_id: string }>(path.room(roomId, `state/${type}${stateKey ? `/${encodeURIComponent(stateKey)}` : ''}`), content);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.event_id;
  };

  /**
   * GET state with format=event. The spec's response schema is `oneOf: [object, state event]`, which
   * a full event always fails (it is both); so the body is checked as a ClientEvent, the schema of
   * GET /event/{eventId}, which is what format=event returns.
   */
  const stateAsEvent = async (user: RegisteredUser, rest: string) => {
    const res = await user.client.get<ClientEvent>(path.room(roomId, `state/${rest}?format=event`), { unchecked: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const asClientEvent = validateResponse('GET', path.room(roomId, `event/${encodeURIComponent(res.body.event_id)}`), 200, res.body);
    expect(asClientEvent).toEqual({ ok: true });
    expect(typeof res.body.state_key).toBe('string');
    return res;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime('room-reads');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol, dave] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat', name: 'Tea', topic: 'Leaves' });
    const joined = await bob.client.post(path.room(roomId, 'join'), {});
    expect(joined.status).toBe(200);
    messageIds = [];
    for (let i = 0; i < 6; i++) {
      const res = await send(i % 2 ? bob.client : alice.client, roomId, { msgtype: 'm.text', body: `m${i}` });
      expect(res.status).toBe(200);
      messageIds.push(res.body.event_id);
    }
    expect((await bob.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    const timeline = await timelineOf(roomId);
    afterBobLeft = `p${timeline.length}`;
    bobLeaveId = timeline.at(-1)!.event.event_id;
    bobJoinId = timeline.find((e) => e.event.type === 'm.room.member' && e.event.state_key === bob.userId && e.event.content.membership === 'join')!
      .event.event_id;
    // After bob left: a new topic, a new state key, an invite for dave.
    await setState('m.room.topic', '', { topic: 'Boiled' });
    await setState('org.example.flag', 'k', { v: 1 });
    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: dave.userId })).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  it('lists joined rooms', async () => {
    const other = await createRoom(alice.client, {});
    const res = await alice.client.get<{ joined_rooms: string[] }>(`${path.v3}/joined_rooms`);
    expect(res.status).toBe(200);
    expect(res.body.joined_rooms.sort()).toEqual([roomId, other].sort());
    expect((await bob.client.get<{ joined_rooms: string[] }>(`${path.v3}/joined_rooms`)).body.joined_rooms).toEqual([]);
    expect((await dave.client.get<{ joined_rooms: string[] }>(`${path.v3}/joined_rooms`)).body.joined_rooms).toEqual([]);
    expectError(await new TestClient(runtime.httpUrl).get(`${path.v3}/joined_rooms`), 401, 'M_MISSING_TOKEN');
  });

  it('returns the current state to a member, with prev_content on replaced state', async () => {
    const res = await state(alice);
    expect(res.status).toBe(200);
    const byKey = new Map(res.body.map((e) => [`${e.type}|${e.state_key}`, e]));
    expect(byKey.get('m.room.create|')?.sender).toBe(alice.userId);
    expect(byKey.get('m.room.topic|')?.content).toEqual({ topic: 'Boiled' });
    expect(byKey.get('m.room.topic|')?.unsigned?.prev_content).toMatchObject({ topic: 'Leaves' });
    expect(byKey.get('org.example.flag|k')?.content).toEqual({ v: 1 });
    expect(memberships(res.body.filter((e) => e.type === 'm.room.member'))).toEqual({ [alice.userId]: 'join', [bob.userId]: 'leave', [dave.userId]: 'invite' });
    expect(res.body.every((e) => e.room_id === roomId && typeof e.unsigned?.age === 'number')).toBe(true);
  });

  it('returns the state as it was when the reader left', async () => {
    const res = await state(bob);
    expect(res.status).toBe(200);
    const byKey = new Map(res.body.map((e) => [`${e.type}|${e.state_key}`, e]));
    expect(byKey.get('m.room.topic|')?.content).toMatchObject({ topic: 'Leaves' });
    expect(byKey.has('org.example.flag|k')).toBe(false);
    expect(byKey.get('m.room.name|')?.content).toEqual({ name: 'Tea' });
    expect(memberships(res.body.filter((e) => e.type === 'm.room.member'))).toEqual({ [alice.userId]: 'join', [bob.userId]: 'leave' });

    expect((await state(bob, '/m.room.topic')).body).toMatchObject({ topic: 'Leaves' });
    expectError(await state(bob, '/org.example.flag/k'), 404, 'M_NOT_FOUND');
  });

  it('reads one state event: content by default, the event with format=event, the empty key with or without it', async () => {
    expect((await state(alice, '/m.room.name')).body).toEqual({ name: 'Tea' });
    expect((await state(alice, '/m.room.name/')).body).toEqual({ name: 'Tea' });
    await setState('org.example.path', 'a/b', { deep: true });
    expect((await state(alice, `/org.example.path/${encodeURIComponent('a/b')}`)).body).toEqual({ deep: true });
    expect((await state(alice, '/org.example.flag/k')).body).toEqual({ v: 1 });
    const member = await stateAsEvent(alice, `m.room.member/${encodeURIComponent(bob.userId)}`);
    expect(member.body).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: bob.userId, room_id: roomId, content: { membership: 'leave' } });
    expect(member.body.unsigned?.prev_content).toMatchObject({ membership: 'join' });
    expectError(await state(alice, '/m.room.avatar'), 404, 'M_NOT_FOUND');
    expectError(await state(alice, '/org.example.flag/other'), 404, 'M_NOT_FOUND');
    expectError(await alice.client.get(path.room(roomId, 'state/m.room.name?format=xml')), 400, 'M_INVALID_PARAM');
  });

  it('refuses state to users who were never members, the invited, and unknown rooms', async () => {
    expectError(await state(carol), 403, 'M_FORBIDDEN');
    expectError(await state(carol, '/m.room.name'), 403, 'M_FORBIDDEN');
    expectError(await state(dave), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(path.room('!unknown:localhost', 'state')), 403, 'M_FORBIDDEN');
  });

  it('lists members, filtered by membership and not_membership, and at a pagination token', async () => {
    const members = async (user: RegisteredUser, query = '') => {
      const res = await user.client.get<{ chunk: ClientEvent[] }>(path.room(roomId, `members${query}`));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return memberships(res.body.chunk);
    };
    const all = { [alice.userId]: 'join', [bob.userId]: 'leave', [dave.userId]: 'invite' };
    expect(await members(alice)).toEqual(all);
    expect(await members(alice, '?membership=join')).toEqual({ [alice.userId]: 'join' });
    expect(await members(alice, '?not_membership=leave')).toEqual({ [alice.userId]: 'join', [dave.userId]: 'invite' });
    // Both: either one matching lists the member.
    expect(await members(alice, '?membership=leave&not_membership=join')).toEqual({ [bob.userId]: 'leave', [dave.userId]: 'invite' });
    // At a token from before bob left, bob is still joined and dave not yet invited.
    const beforeLeave = `p${Number(afterBobLeft.slice(1)) - 1}`;
    expect(await members(alice, `?at=${beforeLeave}`)).toEqual({ [alice.userId]: 'join', [bob.userId]: 'join' });
    // A token that is neither a room pagination token nor a /sync token means now.
    expect(await members(alice, '?at=s72_14_0')).toEqual(all);
    // A /sync next_batch (what matrix-js-sdk sends) is the room as of that sync.
    const room = await createRoom(alice.client, {});
    const synced = await alice.client.get<{ next_batch: string }>(`${path.v3}/sync?timeout=0`);
    expect((await alice.client.post(path.room(room, 'invite'), { user_id: dave.userId })).status).toBe(200);
    const inRoom = async (query = '') => memberships((await alice.client.get<{ chunk: ClientEvent[] }>(path.room(room, `members${query}`))).body.chunk);
    expect(await inRoom(`?at=${encodeURIComponent(synced.body.next_batch)}`)).toEqual({ [alice.userId]: 'join' });
    expect(await inRoom()).toEqual({ [alice.userId]: 'join', [dave.userId]: 'invite' });
    // bob sees the members as they were when he left.
    expect(await members(bob)).toEqual({ [alice.userId]: 'join', [bob.userId]: 'leave' });
    expectError(await alice.client.get(path.room(roomId, 'members?membership=joined')), 400, 'M_INVALID_PARAM');
    expectError(await carol.client.get(path.room(roomId, 'members')), 403, 'M_FORBIDDEN');
  });

  it('lists joined members with their profiles, only to users in the room', async () => {
    const res = await alice.client.get<{ joined: Record<string, { display_name?: string }> }>(path.room(roomId, 'joined_members'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.joined)).toEqual([alice.userId]);
    const profile = await alice.client.get<{ displayname?: string }>(`${path.v3}/profile/${encodeURIComponent(alice.userId)}`);
    expect(res.body.joined[alice.userId]?.display_name).toBe(profile.body.displayname);
    expectError(await bob.client.get(path.room(roomId, 'joined_members')), 403, 'M_FORBIDDEN');
    expectError(await carol.client.get(path.room(roomId, 'joined_members')), 403, 'M_FORBIDDEN');
  });

  it('gets one event: visible ones, 404 for unknown, other-room and invisible ones', async () => {
    const get = (user: RegisteredUser, eventId: string, room = roomId) => user.client.get<ClientEvent>(path.room(room, `event/${encodeURIComponent(eventId)}`));
    const res = await get(bob, messageIds[2]!);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event_id: messageIds[2], content: { body: 'm2' }, room_id: roomId, sender: alice.userId });
    expectError(await get(alice, '$doesnotexist'), 404, 'M_NOT_FOUND');
    // An event after bob left is not his to see.
    const topic = (await stateAsEvent(alice, 'm.room.topic')).body;
    expect((await get(alice, topic.event_id)).status).toBe(200);
    expectError(await get(bob, topic.event_id), 404, 'M_NOT_FOUND');
    // The right event id in the wrong room.
    const other = await createRoom(bob.client, {});
    expectError(await get(bob, messageIds[0]!, other), 404, 'M_NOT_FOUND');
    // a room one may not read is 404 here too, as the spec names (Complement's TestFetchEventNonWorldReadable)
    expectError(await get(carol, messageIds[0]!), 404, 'M_NOT_FOUND');
    expectError(await get(carol, messageIds[0]!, '!unknown:localhost'), 404, 'M_NOT_FOUND');
  });

  it('shows redacted events with redacted_because', async () => {
    const sent = await send(alice.client, roomId, { msgtype: 'm.text', body: 'oops' });
    const redact = await alice.client.put<{ event_id: string }>(path.room(roomId, `redact/${encodeURIComponent(sent.body.event_id)}/r${Date.now()}`), { reason: 'typo' });
    expect(redact.status).toBe(200);
    const res = await alice.client.get<ClientEvent>(path.room(roomId, `event/${encodeURIComponent(sent.body.event_id)}`));
    expect(res.status).toBe(200);
    expect(res.body.content).toEqual({});
    expect(res.body.unsigned?.redacted_because).toMatchObject({ event_id: redact.body.event_id, type: 'm.room.redaction' });

    // Redacting the topic set after bob left: bob still reads the topic of his time, not a gap.
    const topic = (await stateAsEvent(alice, 'm.room.topic')).body;
    const redactTopic = await alice.client.put(path.room(roomId, `redact/${encodeURIComponent(topic.event_id)}/rt${Date.now()}`), {});
    expect(redactTopic.status).toBe(200);
    expect((await state(alice, '/m.room.topic')).body).toEqual({});
    expect((await state(bob, '/m.room.topic')).body).toMatchObject({ topic: 'Leaves' });
  });

  it('reads nothing of a forgotten room', async () => {
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await carol.client.post(path.room(room, 'join'), {})).status).toBe(200);
    expect((await carol.client.post(path.room(room, 'leave'), {})).status).toBe(200);
    expect((await carol.client.get(path.room(room, 'state'))).status).toBe(200);
    expect((await carol.client.post(path.room(room, 'forget'), {})).status).toBe(200);
    expectError(await carol.client.get(path.room(room, 'state')), 403, 'M_FORBIDDEN');
    expectError(await carol.client.get(path.room(room, 'members')), 403, 'M_FORBIDDEN');
    expectError(await carol.client.get(path.room(room, 'messages?dir=b')), 403, 'M_FORBIDDEN');
  });

  it('gives an event’s context: events around it, state at the last one, tokens that /messages continues', async () => {
    const res = await alice.client.get<{
      event: ClientEvent; events_before: ClientEvent[]; events_after: ClientEvent[]; start: string; end: string; state: ClientEvent[];
    }>(path.room(roomId, `context/${encodeURIComponent(messageIds[2]!)}?limit=4`));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.event.event_id).toBe(messageIds[2]);
    expect(ids(res.body.events_before)).toEqual([messageIds[1], messageIds[0]]);
    expect(ids(res.body.events_after)).toEqual([messageIds[3], messageIds[4]]);
    // State at m4: bob still joined, the old topic.
    const topic = res.body.state.find((e) => e.type === 'm.room.topic');
    expect(topic?.content).toMatchObject({ topic: 'Leaves' });
    expect(memberships(res.body.state.filter((e) => e.type === 'm.room.member'))).toEqual({ [alice.userId]: 'join', [bob.userId]: 'join' });
    const back = await alice.client.get<{ chunk: ClientEvent[] }>(path.room(roomId, `messages?dir=b&limit=1&from=${res.body.start}`));
    expect(ids(back.body.chunk)).toEqual([bobJoinId]);
    const forward = await alice.client.get<{ chunk: ClientEvent[] }>(path.room(roomId, `messages?dir=f&limit=1&from=${res.body.end}`));
    expect(ids(forward.body.chunk)).toEqual([messageIds[5]]);

    const filtered = await alice.client.get<{ events_before: ClientEvent[]; events_after: ClientEvent[]; state: ClientEvent[] }>(
      path.room(roomId, `context/${encodeURIComponent(messageIds[2]!)}?limit=6&filter=${encodeURIComponent(JSON.stringify({ senders: [bob.userId], lazy_load_members: true }))}`),
    );
    expect(filtered.status).toBe(200);
    expect(ids(filtered.body.events_before)).toEqual([messageIds[1], bobJoinId]);
    expect(ids(filtered.body.events_after)).toEqual([messageIds[3], messageIds[5], bobLeaveId]);
    expect(new Set(filtered.body.state.map((e) => `${e.type}|${e.state_key}`))).toEqual(new Set([`m.room.member|${alice.userId}`, `m.room.member|${bob.userId}`]));

    expectError(await alice.client.get(path.room(roomId, 'context/%24nope')), 404, 'M_NOT_FOUND');
    expectError(await carol.client.get(path.room(roomId, `context/${encodeURIComponent(messageIds[2]!)}`)), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(path.room(roomId, `context/${encodeURIComponent(messageIds[2]!)}?limit=x`)), 400, 'M_INVALID_PARAM');
  });
});
