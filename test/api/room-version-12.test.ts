// Room version 12 through the local runtime, after Complement's tests/v12_test.go: privileged
// creators (MSC4289: the sender and `additional_creators` outrank every power level and are never in
// `users`; the tombstone needs 150) and room ids that are the create event's hash (MSC4291), for
// creation, power level changes, kicks, upgrades and every read that returns the create event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface ClientEvent { event_id: string; type: string; sender: string; room_id?: string; state_key?: string; content: Record<string, unknown> }

const MAX_CANONICAL_INT = 2 ** 53 - 1;

describe('room version 12', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let charlie: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('room-version-12');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, charlie] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  const stateContent = async (client: TestClient, roomId: string, type: string) =>
    (await client.get<Record<string, unknown>>(path.room(roomId, `state/${type}/`))).body;
  const putState = (client: TestClient, roomId: string, type: string, content: Record<string, unknown>) =>
    client.put<{ event_id: string }>(path.room(roomId, `state/${type}/`), content);
  const kick = (client: TestClient, roomId: string, userId: string) => client.post(path.room(roomId, 'kick'), { user_id: userId });
  const join = (client: TestClient, roomId: string) => client.post(path.room(roomId, 'join'), {});
  const createEventOf = async (roomId: string, client = alice.client) => (await client.get<ClientEvent[]>(path.room(roomId, 'state'))).body.find((e) => e.type === 'm.room.create')!;
  const expectHashRoomId = async (roomId: string, client = alice.client) => {
    expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect((await createEventOf(roomId, client)).event_id).toBe(`$${roomId.slice(1)}`);
  };
  /** A v12 room alice creates and bob joins, bob given `level`. */
  const roomWithBobAt = async (level: number) => {
    const roomId = await createRoom(alice.client, { room_version: '12', preset: 'public_chat' });
    expect((await join(bob.client, roomId)).status).toBe(200);
    const res = await putState(alice.client, roomId, 'm.room.power_levels', { users: { [bob.userId]: level } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return roomId;
  };

  it('is offered as stable in /capabilities', async () => {
    const res = await alice.client.get<{ capabilities: { 'm.room_versions': { available: Record<string, string> } } }>(`${path.v3}/capabilities`);
    expect(res.body.capabilities['m.room_versions'].available['12']).toBe('stable');
  });

  it('names the room by its create event\'s hash, and every read of the create event carries that room id', async () => {
    const roomId = await createRoom(alice.client, { room_version: '12' });
    await expectHashRoomId(roomId);
    const create = await createEventOf(roomId);
    expect(create.room_id).toBe(roomId);
    expect(create.content).toEqual({ room_version: '12' });
    const sent = await send(alice.client, roomId, { msgtype: 'm.text', body: 'Hello' });
    expect(sent.status).toBe(200);
    const createId = `$${roomId.slice(1)}`;
    const messages = await alice.client.get<{ chunk: ClientEvent[] }>(path.room(roomId, 'messages?dir=b&limit=100'));
    expect(messages.body.chunk.find((e) => e.type === 'm.room.create')?.room_id).toBe(roomId);
    expect((await alice.client.get<ClientEvent>(path.room(roomId, `event/${encodeURIComponent(createId)}`))).body.room_id).toBe(roomId);
    const context = await alice.client.get<{ event: ClientEvent; events_before: ClientEvent[]; state: ClientEvent[] }>(path.room(roomId, `context/${encodeURIComponent(sent.body.event_id)}?limit=100`));
    expect(context.body.events_before.find((e) => e.type === 'm.room.create')?.room_id).toBe(roomId);
    expect(context.body.state.find((e) => e.type === 'm.room.create')?.room_id).toBe(roomId);
    // a second create event is refused (Synapse: 400 M_INVALID_PARAM), in v11 as in v12
    for (const version of ['11', '12']) {
      const room = await createRoom(alice.client, { room_version: version });
      expectError(await putState(alice.client, room, 'm.room.create', { room_version: version, entropy: 100 }), 400, 'M_INVALID_PARAM');
    }
  });

  it('leaves the creator out of power levels and puts the tombstone at 150', async () => {
    const roomId = await createRoom(alice.client, { room_version: '12' });
    const levels = await stateContent(alice.client, roomId, 'm.room.power_levels');
    expect(levels.users).toEqual({});
    expect((levels.events as Record<string, number>)['m.room.tombstone']).toBe(150);
    // the creator cannot list themself
    expect((await putState(alice.client, roomId, 'm.room.power_levels', { users: { [alice.userId]: 100 } })).status).toBe(400);
  });

  it('lets the creator kick admins of any level, and no admin kick the creator', async () => {
    for (const level of [100, 949342, MAX_CANONICAL_INT]) {
      const roomId = await roomWithBobAt(level);
      if (level === MAX_CANONICAL_INT) expectError(await kick(bob.client, roomId, alice.userId), 403, 'M_FORBIDDEN');
      expect((await kick(alice.client, roomId, bob.userId)).status, String(level)).toBe(200);
    }
  });

  it('refuses power levels beyond canonical JSON\'s integers', async () => {
    const roomId = await roomWithBobAt(50);
    expect((await putState(alice.client, roomId, 'm.room.power_levels', { users: { [bob.userId]: MAX_CANONICAL_INT + 1 } })).status).toBe(400);
  });

  it('takes power_level_content_override without the creator, and refuses one naming the creator', async () => {
    const roomId = await createRoom(alice.client, { room_version: '12', invite: [bob.userId], power_level_content_override: { users: { [bob.userId]: 100 } } });
    expect((await stateContent(alice.client, roomId, 'm.room.power_levels')).users).toEqual({ [bob.userId]: 100 });
    const refused = await alice.client.post(`${path.v3}/createRoom`, { room_version: '12', invite: [bob.userId], power_level_content_override: { users: { [alice.userId]: 100 } } });
    expect(refused.status).toBe(400);
  });

  it('makes additional creators as mighty as the creator', async () => {
    const roomId = await createRoom(alice.client, { room_version: '12', preset: 'public_chat', creation_content: { additional_creators: [bob.userId] } });
    expect((await join(bob.client, roomId)).status).toBe(200);
    expectError(await kick(alice.client, roomId, bob.userId), 403, 'M_FORBIDDEN');
    expect((await putState(bob.client, roomId, 'm.room.name', { name: "Bob's room name" })).status).toBe(200);
    expect((await putState(alice.client, roomId, 'm.room.power_levels', { users: { [bob.userId]: 100 } })).status).toBe(400);
  });

  it('makes a trusted private chat\'s invitees creators, with any additional creators asked for', async () => {
    const dm = await createRoom(alice.client, { room_version: '12', preset: 'trusted_private_chat', is_direct: true, invite: [bob.userId] });
    expect((await stateContent(alice.client, dm, 'm.room.create')).additional_creators).toEqual([bob.userId]);
    expect((await stateContent(alice.client, dm, 'm.room.power_levels')).users).toEqual({});
    const both = await createRoom(alice.client, {
      room_version: '12', preset: 'trusted_private_chat', is_direct: true, invite: [bob.userId], creation_content: { additional_creators: [charlie.userId] },
    });
    expect(new Set((await stateContent(alice.client, both, 'm.room.create')).additional_creators as string[])).toEqual(new Set([bob.userId, charlie.userId]));
  });

  it('validates additional_creators', async () => {
    const create = (additional: unknown) => alice.client.post(`${path.v3}/createRoom`, { room_version: '12', preset: 'public_chat', creation_content: { additional_creators: additional } });
    for (const bad of ['not-an-array', ['@foo:example.com', 42], ['@foo:example.com', 'not-a-user-id'], ['@invalid:dom$ain$.com']]) {
      expect((await create(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await create(['@foo:example.com', '@bar:baz.code'])).status).toBe(200);
  });

  it('upgrades to v12: the upgrader and additional creators leave users, the predecessor names no event', async () => {
    const cases: { from: string; levels: () => Record<string, number>; upgrader: () => RegisteredUser; additional?: () => string[]; creators: () => string[]; users: () => Record<string, number> }[] = [
      { from: '11', levels: () => ({ [bob.userId]: 100 }), upgrader: () => bob, creators: () => [], users: () => ({}) },
      { from: '11', levels: () => ({ [bob.userId]: 100, [charlie.userId]: 100 }), upgrader: () => bob, creators: () => [], users: () => ({ [charlie.userId]: 100 }) },
      { from: '12', levels: () => ({ [bob.userId]: 150, [charlie.userId]: 50 }), upgrader: () => bob, additional: () => [charlie.userId], creators: () => [charlie.userId], users: () => ({}) },
      { from: '11', levels: () => ({ [alice.userId]: 100, [bob.userId]: 100, [charlie.userId]: 50 }), upgrader: () => alice, additional: () => [bob.userId], creators: () => [bob.userId], users: () => ({ [charlie.userId]: 50 }) },
      { from: '10', levels: () => ({ [alice.userId]: 100 }), upgrader: () => alice, creators: () => [], users: () => ({}) },
    ];
    for (const [i, c] of cases.entries()) {
      const oldRoom = await createRoom(alice.client, { room_version: c.from, preset: 'public_chat' });
      for (const user of [bob, charlie]) expect((await join(user.client, oldRoom)).status).toBe(200);
      expect((await putState(alice.client, oldRoom, 'm.room.power_levels', { users: c.levels() })).status, `case ${i}`).toBe(200);
      const res = await c.upgrader().client.post<{ replacement_room: string }>(path.room(oldRoom, 'upgrade'), {
        new_version: '12', ...(c.additional ? { additional_creators: c.additional() } : {}),
      });
      expect(res.status, `case ${i} ${JSON.stringify(res.body)}`).toBe(200);
      const newRoom = res.body.replacement_room;
      const upgrader = c.upgrader().client;
      await expectHashRoomId(newRoom, upgrader);
      const create = await stateContent(upgrader, newRoom, 'm.room.create');
      expect(create.room_version).toBe('12');
      expect(create.predecessor, `case ${i}`).toEqual({ room_id: oldRoom });
      if (c.creators().length) expect(create.additional_creators, `case ${i}`).toEqual(c.creators());
      else expect(create, `case ${i}`).not.toHaveProperty('additional_creators');
      expect((await stateContent(upgrader, newRoom, 'm.room.power_levels')).users, `case ${i}`).toEqual(c.users());
      expect((await stateContent(alice.client, oldRoom, 'm.room.tombstone')).replacement_room).toBe(newRoom);
    }
    // additional_creators must be user ids
    const room = await createRoom(alice.client, { room_version: '12' });
    expect((await alice.client.post(path.room(room, 'upgrade'), { new_version: '12', additional_creators: 'bob' })).status).toBe(400);
  });

  it('keeps a v12 room usable: joins, messages, sync', async () => {
    const roomId = await createRoom(alice.client, { room_version: '12', preset: 'public_chat', name: 'v12' });
    expect((await join(bob.client, roomId)).status).toBe(200);
    expect((await send(bob.client, roomId, { msgtype: 'm.text', body: 'hi' })).status).toBe(200);
    const synced = await bob.client.get<{ rooms: { join: Record<string, { timeline: { events: ClientEvent[] } }> } }>(`${path.v3}/sync`);
    expect(synced.status).toBe(200);
    expect(synced.body.rooms.join[roomId]?.timeline.events.some((e) => e.content.body === 'hi')).toBe(true);
  });
});
