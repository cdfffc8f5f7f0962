// Restricted join rules through the local runtime: members of an allowed room join (the join
// names the authorising member), others are refused with nothing written, invitees join as in
// any room, and knock_restricted rooms take both knocks and allowed joins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, membershipOf, path, stateEvent, timelineOf } from './rooms-support.ts';

describe('restricted join rules', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let mod: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let space: string;
  beforeAll(async () => {
    runtime = await startTestRuntime('restricted');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, mod, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    space = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(space, 'join'), {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  const restrictedRoom = (joinRule: string, extra: Record<string, unknown> = {}) =>
    createRoom(alice.client, {
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: joinRule, allow: [{ type: 'm.room_membership', room_id: space }] } }],
      ...extra,
    });

  it('a member of an allowed room joins, authorised by the member with the most power', async () => {
    const roomId = await restrictedRoom('restricted', {
      invite: [mod.userId],
      power_level_content_override: { invite: 50, users: { [alice.userId]: 100, [mod.userId]: 50 } },
    });
    expect((await mod.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const res = await bob.client.post<{ room_id: string }>(path.room(roomId, 'join'), {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ room_id: roomId });
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toMatchObject({ membership: 'join', join_authorised_via_users_server: alice.userId });

    // once alice has left, the next in power who is still joined authorises
    expect((await alice.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect((await bob.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect((await bob.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content.join_authorised_via_users_server).toBe(mod.userId);
  });

  it('refuses someone in none of the allowed rooms and writes nothing; an invitee joins unauthorised', async () => {
    const roomId = await restrictedRoom('restricted');
    const count = (await timelineOf(roomId)).length;
    expectError(await carol.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(count);
    expect(await membershipOf(roomId, carol.userId)).toBeUndefined();

    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: carol.userId })).status).toBe(200);
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const join = await stateEvent(roomId, 'm.room.member', carol.userId);
    expect(join?.content.membership).toBe('join');
    expect(join?.content.join_authorised_via_users_server).toBeUndefined();
  });

  it('refuses a banned member of an allowed room, and everyone when nobody in the room can invite', async () => {
    const roomId = await restrictedRoom('restricted');
    expect((await alice.client.post(path.room(roomId, 'ban'), { user_id: bob.userId })).status).toBe(200);
    expectError(await bob.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');

    const unreachable = await restrictedRoom('restricted', { power_level_content_override: { invite: 101 } });
    expectError(await bob.client.post(path.room(unreachable, 'join'), {}), 403, 'M_FORBIDDEN');
    expect(await membershipOf(unreachable, bob.userId)).toBeUndefined();
  });

  it('knock_restricted: members of the allowed room join, others knock', async () => {
    const roomId = await restrictedRoom('knock_restricted');
    expectError(await carol.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');
    expect((await carol.client.post(`${path.v3}/knock/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('knock');
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content.join_authorised_via_users_server).toBe(alice.userId);
    // a knocker who then joins an allowed room may join directly
    expect((await carol.client.post(path.room(space, 'join'), {})).status).toBe(200);
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('join');
  });
});
