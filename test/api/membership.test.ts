// The membership endpoints through the local runtime: the state machine (invite → join, public
// joins, invite-only refusals, kick/ban/unban with power, leave, forget) and aliases for join.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { memberRooms, membershipHistory, roomMembers } from '../../lib/matrix/pstates.ts';
import type { ProfileCommand, RoomCommandResult } from '../../lib/matrix/rooms/commands.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf, membershipOf, path, stateEvent, timelineOf } from './rooms-support.ts';

describe('membership', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('membership');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('invite then join an invite-only room; a stranger is refused and nothing is written', async () => {
    const roomId = await createRoom(alice.client, { preset: 'private_chat' });
    const before = (await timelineOf(roomId)).length;
    expectError(await carol.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(before);
    expect(await membershipOf(roomId, carol.userId)).toBeUndefined();

    const invited = await alice.client.post(path.room(roomId, 'invite'), { user_id: bob.userId, reason: 'tea?' });
    expect(invited.status).toBe(200);
    expect(invited.body).toEqual({});
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toMatchObject({ membership: 'invite', reason: 'tea?' });
    expect(await memberRooms.key(bob.userId).key(roomId).get({ consistent: true })).toMatchObject({ membership: 'invite' });

    const joined = await bob.client.post<{ room_id: string }>(path.room(roomId, 'join'), {});
    expect(joined.status).toBe(200);
    expect(joined.body).toEqual({ room_id: roomId });
    expect(await membershipOf(roomId, bob.userId)).toBe('join');
    const join = await stateEvent(roomId, 'm.room.member', bob.userId);
    expect(join?.unsigned?.prev_content).toMatchObject({ membership: 'invite' });
    expect(await infoOf(roomId)).toMatchObject({ joinedCount: 2, invitedCount: 0 });
    const history = await membershipHistory.key(roomId).key(bob.userId).range({ consistent: true });
    expect(history.entries.map(([, v]) => v.membership)).toEqual(['invite', 'join']);

    // joining again changes nothing
    const again = await bob.client.post(path.room(roomId, 'join'), {});
    expect(again.body).toEqual({ room_id: roomId });
    expect((await timelineOf(roomId)).length).toBe(before + 2);
  });

  it('joins a public room by id and by alias; unknown aliases and rooms are 404', async () => {
    const localpart = `pub${Date.now()}`;
    const roomId = await createRoom(alice.client, { preset: 'public_chat', room_alias_name: localpart });
    const byAlias = await bob.client.post<{ room_id: string }>(`${path.v3}/join/${encodeURIComponent(`#${localpart}:localhost`)}`, {});
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.room_id).toBe(roomId);
    const byId = await carol.client.post<{ room_id: string }>(`${path.v3}/join/${encodeURIComponent(roomId)}`, {});
    expect(byId.body).toEqual({ room_id: roomId });
    expect(await membershipOf(roomId, carol.userId)).toBe('join');
    // the joiner's profile (registration sets the displayname to the localpart) is in the event
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content.displayname).toBe(bob.userId.slice(1, bob.userId.indexOf(':')));

    expectError(await bob.client.post(`${path.v3}/join/${encodeURIComponent('#nope:localhost')}`, {}), 404, 'M_NOT_FOUND');
    expectError(await bob.client.post(path.room('!nope:localhost', 'join'), {}), 404, 'M_NOT_FOUND');
    expectError(await bob.client.post(path.room(roomId, 'join'), { reason: 5 }), 400, 'M_BAD_JSON');
  });

  // Complement's "POST /join/:room_id (and :room_alias) can join a room with custom content", as Synapse keeps it
  it('POST /join keeps its body in the join event; /rooms/{roomId}/join keeps only the reason', async () => {
    const localpart = `custom${Date.now()}`;
    const roomId = await createRoom(alice.client, { preset: 'public_chat', room_alias_name: localpart });
    const bobName = bob.userId.slice(1, bob.userId.indexOf(':'));
    expect((await bob.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, { foo: 'bar', reason: 'hi' })).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toEqual({ membership: 'join', foo: 'bar', reason: 'hi', displayname: bobName });
    // a per-room displayname, by alias; the server's fields win over the client's
    expect((await carol.client.post(`${path.v3}/join/${encodeURIComponent(`#${localpart}:localhost`)}`, { foo: 'baz', displayname: 'Carol here', membership: 'leave', join_authorised_via_users_server: alice.userId })).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', carol.userId))?.content).toEqual({ membership: 'join', foo: 'baz', displayname: 'Carol here' });
    // the same join again writes nothing; other content is a new join event
    const count = (await timelineOf(roomId)).length;
    expect((await carol.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, { foo: 'baz', displayname: 'Carol here' })).status).toBe(200);
    expect((await timelineOf(roomId)).length).toBe(count);
    expect((await carol.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, { foo: 'qux', displayname: 'Carol here' })).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', carol.userId))?.content).toMatchObject({ foo: 'qux' });
    expect((await timelineOf(roomId)).length).toBe(count + 1);

    const other = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(other, 'join'), { foo: 'bar', reason: 'hi' })).status).toBe(200);
    expect((await stateEvent(other, 'm.room.member', bob.userId))?.content).toEqual({ membership: 'join', reason: 'hi', displayname: bobName });
    expectError(await bob.client.post(`${path.v3}/join/${encodeURIComponent(other)}`, { displayname: 'x'.repeat(257) }), 400, 'M_BAD_JSON');
  });

  it('kick needs power; ban keeps a user out until unbanned', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    for (const u of [bob, carol]) expect((await u.client.post(path.room(roomId, 'join'), {})).status).toBe(200);

    const count = (await timelineOf(roomId)).length;
    expectError(await bob.client.post(path.room(roomId, 'kick'), { user_id: carol.userId }), 403, 'M_FORBIDDEN');
    expectError(await bob.client.post(path.room(roomId, 'ban'), { user_id: carol.userId }), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(count);

    expect((await alice.client.post(path.room(roomId, 'kick'), { user_id: carol.userId, reason: 'out' })).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', carol.userId))?.content).toEqual({ membership: 'leave', reason: 'out' });
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);

    expect((await alice.client.post(path.room(roomId, 'ban'), { user_id: carol.userId })).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('ban');
    expectError(await carol.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');
    expectError(await alice.client.post(path.room(roomId, 'invite'), { user_id: carol.userId }), 403, 'M_FORBIDDEN');
    // unbanning someone not banned is refused
    expectError(await alice.client.post(path.room(roomId, 'unban'), { user_id: bob.userId }), 403, 'M_FORBIDDEN');

    expect((await alice.client.post(path.room(roomId, 'unban'), { user_id: carol.userId })).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('leave');
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect(await infoOf(roomId)).toMatchObject({ joinedCount: 3 });

    expectError(await alice.client.post(path.room(roomId, 'kick'), {}), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(path.room(roomId, 'invite'), { user_id: 'not-a-user' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.post(path.room(roomId, 'invite'), { user_id: '@ghost_nobody:localhost' }), 404, 'M_NOT_FOUND');
  });

  it('leave, then forget; forgetting a joined room is refused', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expectError(await bob.client.post(path.room(roomId, 'forget'), {}), 400, 'M_UNKNOWN');

    const left = await bob.client.post(path.room(roomId, 'leave'), { reason: 'bye' });
    expect(left.status).toBe(200);
    expect(left.body).toEqual({});
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toEqual({ membership: 'leave', reason: 'bye' });
    expect(await infoOf(roomId)).toMatchObject({ joinedCount: 1 });
    // leaving again: not in the room
    expectError(await bob.client.post(path.room(roomId, 'leave'), {}), 403, 'M_FORBIDDEN');

    expect((await bob.client.post(path.room(roomId, 'forget'), {})).status).toBe(200);
    expect(await memberRooms.key(bob.userId).key(roomId).get({ consistent: true })).toMatchObject({ membership: 'leave', forgotten: true });

    // joining again un-forgets
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect(await memberRooms.key(bob.userId).key(roomId).get({ consistent: true })).toMatchObject({ membership: 'join', forgotten: false });
  });

  it('an invite can be declined by leaving', async () => {
    const roomId = await createRoom(alice.client, { invite: [carol.userId] });
    expect((await carol.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('leave');
    expect(await infoOf(roomId)).toMatchObject({ invitedCount: 0, joinedCount: 1 });
  });

  it('a profile command re-sends the join event with the new profile, only when it changes something', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const profile = (c: Omit<ProfileCommand, 'kind' | 'roomId'>) => submit<RoomCommandResult>('rooms', roomId, { kind: 'profile', roomId, ...c } as ProfileCommand);

    const changed = await profile({ userId: bob.userId, displayname: 'Bobby', avatar_url: 'mxc://localhost/abc' });
    expect(changed.eventId).toBeDefined();
    const member = await stateEvent(roomId, 'm.room.member', bob.userId);
    expect(member).toMatchObject({ event_id: changed.eventId, content: { membership: 'join', displayname: 'Bobby', avatar_url: 'mxc://localhost/abc' } });
    expect(await roomMembers.key(roomId).key(bob.userId).get({ consistent: true })).toMatchObject({ displayname: 'Bobby', avatarUrl: 'mxc://localhost/abc', membership: 'join' });
    // a profile change is not a membership change
    const history = await membershipHistory.key(roomId).key(bob.userId).range({ consistent: true });
    expect(history.entries.map(([, v]) => v.membership)).toEqual(['join']);

    const count = (await timelineOf(roomId)).length;
    expect((await profile({ userId: bob.userId, displayname: 'Bobby' })).eventId).toBeUndefined();
    // not joined: nothing to update
    expect((await profile({ userId: carol.userId, displayname: 'Caz' })).eventId).toBeUndefined();
    expect((await timelineOf(roomId)).length).toBe(count);

    // null removes the avatar
    await profile({ userId: bob.userId, avatar_url: null });
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toEqual({ membership: 'join', displayname: 'Bobby' });
    expect(await infoOf(roomId)).toMatchObject({ joinedCount: 2 });
  });
});
