// Knocking (POST /knock/{roomIdOrAlias}) through the local runtime: who may knock, the knocker's
// /sync `rooms.knock` with stripped state, and the three ways a knock ends (an invite accepts it,
// a kick rejects it, the knocker's leave rescinds it), each reaching the knocker's sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, membershipOf, path, stateEvent, timelineOf } from './rooms-support.ts';

interface StrippedEvent { type: string; state_key: string; sender: string; content: Record<string, unknown> }
interface SyncBody {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline: { events: (StrippedEvent & { event_id: string })[] } }>;
    invite?: Record<string, { invite_state: { events: StrippedEvent[] } }>;
    leave?: Record<string, unknown>;
    knock?: Record<string, { knock_state: { events: StrippedEvent[] } }>;
  };
}

async function sync(client: TestClient, since?: string): Promise<SyncBody> {
  const res = await client.get<SyncBody>(`${path.v3}/sync${since ? `?since=${encodeURIComponent(since)}&timeout=0` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const knock = (client: TestClient, roomIdOrAlias: string, body: unknown = {}) =>
  client.post<{ room_id: string }>(`${path.v3}/knock/${encodeURIComponent(roomIdOrAlias)}`, body);

describe('knocking', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;
  let roomId: string;
  const alias = `knock${Date.now()}`;
  beforeAll(async () => {
    runtime = await startTestRuntime('knock');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol, dave] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, {
      preset: 'private_chat',
      name: 'Knock knock',
      room_alias_name: alias,
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
  });
  afterAll(() => runtime?.stop());

  it('knocks by id with a reason; the knocker sees rooms.knock with stripped state, the room sees the event', async () => {
    const before = await sync(bob.client);
    expect(before.rooms?.knock?.[roomId]).toBeUndefined();
    const res = await knock(bob.client, roomId, { reason: 'let me in' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ room_id: roomId });
    const event = await stateEvent(roomId, 'm.room.member', bob.userId);
    expect(event?.content).toMatchObject({ membership: 'knock', reason: 'let me in', displayname: bob.userId.slice(1, bob.userId.indexOf(':')) });

    const next = await sync(bob.client, before.next_batch);
    const stripped = next.rooms?.knock?.[roomId]?.knock_state.events ?? [];
    expect(stripped.find((e) => e.type === 'm.room.join_rules')?.content).toEqual({ join_rule: 'knock' });
    expect(stripped.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Knock knock' });
    expect(stripped.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.content).toMatchObject({ membership: 'knock' });
    // a knocker is not in the room: no joined section, nothing of the room's timeline
    expect(next.rooms?.join?.[roomId]).toBeUndefined();
    // delivered once: the next sync does not repeat it, an initial sync shows it again
    expect((await sync(bob.client, next.next_batch)).rooms?.knock?.[roomId]).toBeUndefined();
    expect((await sync(bob.client)).rooms?.knock?.[roomId]).toBeDefined();

    const timeline = (await sync(alice.client)).rooms?.join?.[roomId]?.timeline.events ?? [];
    expect(timeline.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'knock')).toBe(true);
    // the knocker cannot read the room
    expectError(await bob.client.get(path.room(roomId, 'messages?dir=b')), 403, 'M_FORBIDDEN');
  });

  it('an invite accepts a knock: the knocker is invited, then joins', async () => {
    const before = await sync(bob.client);
    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: bob.userId })).status).toBe(200);
    const next = await sync(bob.client, before.next_batch);
    expect(next.rooms?.invite?.[roomId]).toBeDefined();
    expect(next.rooms?.knock?.[roomId]).toBeUndefined();
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    expect(await membershipOf(roomId, bob.userId)).toBe('join');
  });

  it('knocks by alias; a kick rejects the knock and the knocker sees the room in rooms.leave', async () => {
    const before = await sync(carol.client);
    const res = await knock(carol.client, `#${alias}:localhost`);
    expect(res.body).toEqual({ room_id: roomId });
    expect(await membershipOf(roomId, carol.userId)).toBe('knock');
    // a joined member without kick power cannot reject it
    expectError(await bob.client.post(path.room(roomId, 'kick'), { user_id: carol.userId }), 403, 'M_FORBIDDEN');
    expect((await alice.client.post(path.room(roomId, 'kick'), { user_id: carol.userId, reason: 'no' })).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('leave');
    const next = await sync(carol.client, before.next_batch);
    expect(next.rooms?.leave?.[roomId]).toBeDefined();
    expect(next.rooms?.knock?.[roomId]).toBeUndefined();
    // knocking again after a rejection is allowed
    expect((await knock(carol.client, roomId)).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('knock');
  });

  it('the knocker rescinds by leaving; a knock cannot be forgotten before', async () => {
    expect((await knock(dave.client, roomId)).status).toBe(200);
    expect((await dave.client.post(path.room(roomId, 'forget'), {})).status).toBe(400);
    expect((await dave.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect(await membershipOf(roomId, dave.userId)).toBe('leave');
    expect((await dave.client.post(path.room(roomId, 'forget'), {})).status).toBe(200);
  });

  it('refuses knocks the room or the membership does not allow, and writes nothing', async () => {
    const inviteOnly = await createRoom(alice.client, { preset: 'private_chat' });
    const publicRoom = await createRoom(alice.client, { preset: 'public_chat' });
    const count = (await timelineOf(inviteOnly)).length;
    expectError(await knock(dave.client, inviteOnly), 403, 'M_FORBIDDEN');
    expectError(await knock(dave.client, publicRoom), 403, 'M_FORBIDDEN');
    expect((await timelineOf(inviteOnly)).length).toBe(count);
    expect(await membershipOf(inviteOnly, dave.userId)).toBeUndefined();

    // joined or invited: no knock; a knocker cannot join a knock room uninvited
    expectError(await knock(bob.client, roomId), 403, 'M_FORBIDDEN');
    expectError(await carol.client.post(path.room(roomId, 'join'), {}), 403, 'M_FORBIDDEN');
    expect(await membershipOf(roomId, carol.userId)).toBe('knock');
    // banned: no knock
    expect((await alice.client.post(path.room(roomId, 'ban'), { user_id: dave.userId })).status).toBe(200);
    const banned = (await timelineOf(roomId)).length;
    expectError(await knock(dave.client, roomId), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(banned);

    expectError(await knock(dave.client, '!nope:localhost'), 404, 'M_NOT_FOUND');
    expectError(await knock(dave.client, '#nope:localhost'), 404, 'M_NOT_FOUND');
    expectError(await knock(dave.client, 'nope'), 400, 'M_INVALID_PARAM');
    expectError(await knock(dave.client, roomId, { reason: 5 }), 400, 'M_BAD_JSON');
    expectError(await new TestClient(runtime.httpUrl).post(`${path.v3}/knock/${encodeURIComponent(roomId)}`, {}), 401, 'M_MISSING_TOKEN');
  });
});
