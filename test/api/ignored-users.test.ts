// Ignored users (`m.ignored_user_list`, spec "Ignoring Users"): their messages stay out of /sync
// timelines (state events stay, as Synapse's filter_events_for_client keeps them), and their
// invites stay out of sliding sync as they do out of /sync (Synapse's sliding sync room lists;
// /sync's own case is Complement's TestInviteFromIgnoredUsersDoesNotAppearInSync, sync-suite.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';
import { slidingSync } from './sliding-sync-support.ts';

interface Event {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
}
type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { timeline: { events: Event[] } }> } };

describe('ignored users', () => {
  let runtime: LocalRuntime;
  let bob: RegisteredUser; // ignored by dave
  let carol: RegisteredUser;
  let dave: RegisteredUser;

  const sync = async (user: RegisteredUser, since?: string) => {
    const res = await user.client.get<SyncBody>(`${path.v3}/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const join = async (user: RegisteredUser, roomId: string) => expect((await user.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
  const message = async (user: RegisteredUser, roomId: string, body: string) => (await send(user.client, roomId, { msgtype: 'm.text', body })).body.event_id as string;

  beforeAll(async () => {
    runtime = await startTestRuntime('ignored-users');
    const anonymous = new TestClient(runtime.httpUrl);
    [bob, carol, dave] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    const set = await dave.client.put(`${path.v3}/user/${encodeURIComponent(dave.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.userId]: {} } });
    expect(set.status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  it("leaves an ignored user's messages out of /sync timelines, initial and incremental; their state events stay", async () => {
    const roomId = await createRoom(carol.client, { preset: 'public_chat' });
    await join(bob, roomId);
    await join(dave, roomId);
    const fromBob = await message(bob, roomId, 'ignored');
    const fromCarol = await message(carol, roomId, 'seen');
    const bobState = (await bob.client.put<{ event_id: string }>(path.room(roomId, `state/m.room.member/${encodeURIComponent(bob.userId)}`), { membership: 'join', displayname: 'Bob again' })).body.event_id;

    const initial = await sync(dave);
    const ids = initial.rooms!.join![roomId]!.timeline.events.map((e) => e.event_id);
    expect(ids).toContain(fromCarol);
    expect(ids).toContain(bobState);
    expect(ids).not.toContain(fromBob);

    const laterBob = await message(bob, roomId, 'ignored again');
    const laterCarol = await message(carol, roomId, 'seen again');
    const incremental = await sync(dave, initial.next_batch);
    const later = incremental.rooms!.join![roomId]!.timeline.events.map((e) => e.event_id);
    expect(later).toEqual([laterCarol]);
    expect(later).not.toContain(laterBob);

    // Carol ignores no one: she sees Bob's messages.
    const carols = (await sync(carol)).rooms!.join![roomId]!.timeline.events.map((e) => e.event_id);
    expect(carols).toEqual(expect.arrayContaining([fromBob, laterBob]));
  });

  it("leaves an ignored user's invites out of sliding sync lists and counts; others' invites are listed", async () => {
    const fromBob = await createRoom(bob.client, { preset: 'private_chat', invite: [dave.userId] });
    const fromCarol = await createRoom(carol.client, { preset: 'private_chat', invite: [dave.userId] });
    const body = { lists: { invites: { ranges: [[0, 50]], timeline_limit: 1, required_state: [], filters: { is_invite: true } }, all: { ranges: [[0, 50]], timeline_limit: 1, required_state: [] } } };
    const res = await slidingSync(dave.client, body, { timeout: 0 });
    expect(res.rooms?.[fromCarol]).toBeDefined();
    expect(res.rooms?.[fromBob]).toBeUndefined();
    expect(res.lists?.invites?.count).toBe(1);
    // A list without filters reads the activity index's window: the ignored invite is neither shown nor counted.
    const windowed = await slidingSync(dave.client, { lists: { all: { ranges: [[0, 50]], timeline_limit: 1, required_state: [] } } }, { timeout: 0 });
    expect(windowed.rooms?.[fromBob]).toBeUndefined();
    expect(windowed.rooms?.[fromCarol]).toBeDefined();
    // Dave's rooms: the first test's room and Carol's invite.
    expect(windowed.lists?.all?.count).toBe(2);
    // A subscription does not show it either.
    const sub = await slidingSync(dave.client, { room_subscriptions: { [fromBob]: { timeline_limit: 1, required_state: [] } } }, { timeout: 0 });
    expect(sub.rooms?.[fromBob]).toBeUndefined();
  });
});
