// POST /createRoom through the local runtime: presets, options, aliases, versions, and what the
// rooms topology materialises in the PStates the read endpoints and sync use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { eventLocations, memberRooms, membershipHistory, publicRooms, roomAliases } from '../../lib/matrix/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf, membershipOf, path, stateEvent, timelineOf } from './rooms-support.ts';

describe('POST /createRoom', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('rooms-create');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('creates a private room with dense positions, state, membership and room info', async () => {
    const roomId = await createRoom(alice.client, { name: 'Tea', topic: 'Leaves' });
    expect(roomId).toMatch(/^!.+:localhost$/);
    const timeline = await timelineOf(roomId);
    expect(timeline.map((e) => e.event.type)).toEqual([
      'm.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility',
      'm.room.guest_access', 'm.room.name', 'm.room.topic',
    ]);
    expect(timeline.map((e) => e.event.depth)).toEqual(timeline.map((_, i) => i + 1));
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.event.prev_events).toEqual([timeline[i - 1]!.event.event_id]);
    expect(new Set(timeline.map((e) => e.event.event_id)).size).toBe(timeline.length);
    expect((await stateEvent(roomId, 'm.room.create'))?.content).toMatchObject({ room_version: '11' });
    expect((await stateEvent(roomId, 'm.room.join_rules'))?.content).toEqual({ join_rule: 'invite' });
    expect((await stateEvent(roomId, 'm.room.name'))?.content).toEqual({ name: 'Tea' });
    expect(await membershipOf(roomId, alice.userId)).toBe('join');
    const info = await infoOf(roomId);
    expect(info).toMatchObject({ version: '11', creator: alice.userId, lastPosition: 8, joinedCount: 1, invitedCount: 0, published: false });
    expect(info?.lastEventId).toBe(timeline.at(-1)!.event.event_id);
    expect(info?.lastSeq).toMatch(/^\d{129}$/);
    expect(timeline[0]!.seq).toBe(info?.lastSeq);
    const mine = await memberRooms.key(alice.userId).key(roomId).get({ consistent: true });
    expect(mine).toMatchObject({ membership: 'join', position: 2, forgotten: false, seq: info?.lastSeq });
    expect(await eventLocations.key(timeline[6]!.event.event_id).get({ consistent: true })).toEqual({ roomId, position: 7 });
    const history = await membershipHistory.key(roomId).key(alice.userId).range({ consistent: true });
    expect(history.entries.map(([, v]) => v)).toEqual([{ position: 2, membership: 'join' }]);
  });

  it('applies the public_chat preset, publishes the room and maps its alias', async () => {
    const localpart = `tea${Date.now()}`;
    const roomId = await createRoom(alice.client, { preset: 'public_chat', visibility: 'public', room_alias_name: localpart });
    const alias = `#${localpart}:localhost`;
    expect((await stateEvent(roomId, 'm.room.join_rules'))?.content).toEqual({ join_rule: 'public' });
    expect((await stateEvent(roomId, 'm.room.canonical_alias'))?.content).toEqual({ alias });
    expect(await roomAliases.key(alias).get({ consistent: true })).toEqual({ roomId, creator: alice.userId });
    expect(await publicRooms.key('directory').has(roomId, { consistent: true })).toBe(true);
    expect((await infoOf(roomId))?.published).toBe(true);

    // the alias is taken now: nothing of a second room is written
    const before = await publicRooms.key('directory').count({ consistent: true });
    expectError(await alice.client.post(`${path.v3}/createRoom`, { room_alias_name: localpart, visibility: 'public' }), 400, 'M_ROOM_IN_USE');
    expect(await publicRooms.key('directory').count({ consistent: true })).toBe(before);
  });

  it('makes invitees ops in trusted_private_chat and marks direct invites', async () => {
    const roomId = await createRoom(alice.client, { preset: 'trusted_private_chat', invite: [bob.userId], is_direct: true });
    const power = await stateEvent(roomId, 'm.room.power_levels');
    expect((power?.content.users as Record<string, number>)[bob.userId]).toBe(100);
    const invite = await stateEvent(roomId, 'm.room.member', bob.userId);
    expect(invite?.content).toMatchObject({ membership: 'invite', is_direct: true });
    expect(await membershipOf(roomId, bob.userId)).toBe('invite');
    expect(await memberRooms.key(bob.userId).key(roomId).get({ consistent: true })).toMatchObject({ membership: 'invite' });
    expect((await infoOf(roomId))?.invitedCount).toBe(1);
  });

  it('takes initial_state, power_level_content_override, creation_content and room version 10', async () => {
    const roomId = await createRoom(alice.client, {
      room_version: '10',
      creation_content: { 'm.federate': false },
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }, { type: 'org.example.x', state_key: 'k', content: { a: 1 } }],
      power_level_content_override: { events_default: 10 },
    });
    const create = await stateEvent(roomId, 'm.room.create');
    expect(create?.content).toEqual({ 'm.federate': false, room_version: '10', creator: alice.userId });
    expect((await stateEvent(roomId, 'm.room.history_visibility'))?.content).toEqual({ history_visibility: 'joined' });
    expect((await stateEvent(roomId, 'org.example.x', 'k'))?.content).toEqual({ a: 1 });
    expect((await stateEvent(roomId, 'm.room.power_levels'))?.content.events_default).toBe(10);
    // the timeline records the visibility in force at each event
    const timeline = await timelineOf(roomId);
    expect(timeline.at(-1)!.visibility).toBe('joined');
    expect(timeline[0]!.visibility).toBe('shared');
  });

  it('commits a room with many initial events in parts, positions still 1..n', async () => {
    const initial_state = Array.from({ length: 40 }, (_, i) => ({ type: 'org.example.bulk', state_key: `k${i}`, content: { i } }));
    const invitees = await Promise.all(Array.from({ length: 5 }, () => registerUser(new TestClient(runtime.httpUrl))));
    const roomId = await createRoom(alice.client, { initial_state, invite: invitees.map((u) => u.userId) });
    const timeline = await timelineOf(roomId);
    expect(timeline).toHaveLength(6 + 40 + 5);
    expect(timeline.map((e) => e.event.depth)).toEqual(timeline.map((_, i) => i + 1));
    const info = await infoOf(roomId);
    expect(info).toMatchObject({ lastPosition: 51, invitedCount: 5, joinedCount: 1 });
    expect(info?.lastEventId).toBe(timeline.at(-1)!.event.event_id);
  });

  it('refuses bad requests and writes nothing', async () => {
    expectError(await alice.client.post(`${path.v3}/createRoom`, { room_version: '13' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
    expectError(await alice.client.post(`${path.v3}/createRoom`, { name: 5 }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${path.v3}/createRoom`, undefined, { rawBody: '{nope', headers: { 'content-type': 'application/json' } }), 400, 'M_NOT_JSON');
    expectError(await alice.client.post(`${path.v3}/createRoom`, { initial_state: [{ type: 'm.room.member', state_key: bob.userId, content: { membership: 'join' } }] }), 400, 'M_INVALID_ROOM_STATE');
    expectError(await new TestClient(runtime.httpUrl).post(`${path.v3}/createRoom`, {}), 401, 'M_MISSING_TOKEN');
    expectError(await alice.client.post(`${path.v3}/createRoom`, { topic: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
    expectError(await alice.client.post(`${path.v3}/createRoom`, { invite: ['@nobody_here:localhost'] }), 404, 'M_NOT_FOUND');
    expectError(await alice.client.post(`${path.v3}/createRoom`, { invite: ['nobody'] }), 400, 'M_INVALID_PARAM');
    const rooms = await memberRooms.key(alice.userId).count({ consistent: true });
    await createRoom(alice.client, {});
    expect(await memberRooms.key(alice.userId).count({ consistent: true })).toBe(rooms + 1);
  });
});
