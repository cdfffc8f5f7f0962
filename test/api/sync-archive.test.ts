// Left and forgotten rooms in /sync, ported from Complement: tests/csapi/sync_archive_test.go
// (TestSyncLeaveSection, TestGappedSyncLeaveSection, TestArchivedRoomsHistory,
// TestOlderLeftRoomsNotInLeaveSection, TestLeaveEventVisibility, TestLeaveEventInviteRejection) and tests/csapi/apidoc_room_forget_test.go
// ("Leave for forgotten room shows up in v2 incremental /sync"). Through the sync service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { until } from '../support/poll.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface SyncEvent {
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}
interface Section {
  timeline?: { events: SyncEvent[] };
  state?: { events: SyncEvent[] };
}
interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, Section>; leave?: Record<string, Section>; invite?: Record<string, unknown> };
}

const MADE_UP_STATE = 'a.madeup.test.state';

describe('left and forgotten rooms in /sync (Complement sync_archive, room_forget)', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  const sync = async (user: RegisteredUser, params: { since?: string; filter?: unknown; full_state?: boolean } = {}): Promise<SyncBody> => {
    const query = new URLSearchParams({ timeout: '0' });
    if (params.since) query.set('since', params.since);
    if (params.filter) query.set('filter', JSON.stringify(params.filter));
    if (params.full_state) query.set('full_state', 'true');
    const res = await user.client.get<SyncBody>(`${path.v3}/sync?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const leave = async (user: RegisteredUser, roomId: string) => expect((await user.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
  const join = async (user: RegisteredUser, roomId: string) => expect((await user.client.post(`${path.v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
  const setState = async (user: RegisteredUser, roomId: string, type: string, content: Record<string, unknown>) =>
    expect((await user.client.put(path.room(roomId, `state/${type}/`), content)).status).toBe(200);

  beforeAll(async () => {
    runtime = await startTestRuntime('sync-archive');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('TestArchivedRoomsHistory: a left room shows only what came before the leave, through the timeline and state filters', async () => {
    const filter = { room: { timeline: { types: ['m.room.message', MADE_UP_STATE] }, state: { types: [MADE_UP_STATE] }, include_leave: true } };
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(bob, roomId);
    const bobSince = (await sync(bob, { filter })).next_batch;
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'before' });
    await setState(alice, roomId, MADE_UP_STATE, { my_key: 'before' });
    await leave(bob, roomId);
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'after' });
    await setState(alice, roomId, MADE_UP_STATE, { my_key: 'after' });

    const check = (body: SyncBody) => {
      const room = body.rooms?.leave?.[roomId];
      expect(room, JSON.stringify(body.rooms)).toBeDefined();
      expect(room!.state?.events ?? []).toEqual([]);
      const timeline = room!.timeline?.events ?? [];
      expect(timeline.map((e) => [e.type, e.content.body ?? e.content.my_key])).toEqual([
        ['m.room.message', 'before'],
        [MADE_UP_STATE, 'before'],
      ]);
    };
    check(await sync(bob, { filter }));
    check(await sync(bob, { filter, since: bobSince }));

    // "timeline is empty": with no timeline, the state holds bob's leave and the state before it.
    const empty = await sync(bob, { filter: { room: { timeline: { limit: 0 }, include_leave: true } } });
    const room = empty.rooms?.leave?.[roomId];
    expect(room?.timeline?.events ?? []).toEqual([]);
    const state = room?.state?.events ?? [];
    expect(state.find((e) => e.type === MADE_UP_STATE)?.content.my_key).toBe('before');
    expect(state.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.content.membership).toBe('leave');
  });

  it('TestLeaveEventVisibility: the leave of a room with joined history visibility is in the timeline of the incremental sync', async () => {
    const filter = { room: { include_leave: true } };
    const roomId = await createRoom(alice.client, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    await join(bob, roomId);
    const since = (await until(() => sync(alice, { filter }), (s) => s.rooms?.join?.[roomId] !== undefined, 'joined')).next_batch;
    await leave(alice, roomId);
    const room = (await sync(alice, { filter, since })).rooms?.leave?.[roomId];
    expect(room).toBeDefined();
    expect(room!.state?.events ?? []).toEqual([]);
    const timeline = room!.timeline?.events ?? [];
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ type: 'm.room.member', sender: alice.userId, content: { membership: 'leave' } });
  });

  it('Leave for forgotten room shows up in v2 incremental /sync, not in an initial one', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(bob, roomId);
    await send(alice.client, roomId, { msgtype: 'm.text', body: 'Hello world!' });
    const before = (await sync(alice)).next_batch;
    await leave(alice, roomId);
    expect((await alice.client.post(path.room(roomId, 'forget'), {})).status).toBe(200);
    await send(bob.client, roomId, { msgtype: 'm.text', body: 'Hello world!' });
    const filter = { room: { include_leave: true } };
    expect((await sync(alice, { since: before, filter })).rooms?.leave?.[roomId]).toBeDefined();
    expect((await sync(alice, { filter })).rooms?.leave?.[roomId]).toBeUndefined();
  });

  /** Complement's SyncLeftFrom: the user's leave in rooms.leave.<room>, in its timeline or its state. */
  const leftFrom = (body: SyncBody, user: RegisteredUser, roomId: string) => {
    const room = body.rooms?.leave?.[roomId];
    const events = [...(room?.timeline?.events ?? []), ...(room?.state?.events ?? [])];
    return events.some((e) => e.type === 'm.room.member' && e.state_key === user.userId && e.content.membership === 'leave');
  };

  it('TestSyncLeaveSection: left rooms in the leave section of initial, full state and incremental syncs', async () => {
    const includeLeave = { room: { include_leave: true } };
    const roomId = await createRoom(alice.client, {});
    const fullStateSince = (await sync(alice, { filter: includeLeave })).next_batch;
    const incrementalSince = (await sync(alice)).next_batch;
    await leave(alice, roomId);
    expect(leftFrom(await sync(alice, { filter: includeLeave }), alice, roomId)).toBe(true);
    expect(leftFrom(await sync(alice, { since: fullStateSince, filter: includeLeave, full_state: true }), alice, roomId)).toBe(true);
    expect(leftFrom(await sync(alice, { since: incrementalSince }), alice, roomId)).toBe(true);
  });

  it('TestGappedSyncLeaveSection: a leave before a gap (timeline limit 1, 20 messages elsewhere) is still in the leave section', async () => {
    const gappy = { room: { timeline: { limit: 1 }, include_leave: true } };
    const roomToLeave = await createRoom(alice.client, {});
    const roomToSpam = await createRoom(alice.client, {});
    const since = (await sync(alice, { filter: gappy })).next_batch;
    await leave(alice, roomToLeave);
    for (let i = 0; i < 20; i++) await send(alice.client, roomToSpam, { msgtype: 'm.text', body: 'Mr Anderson...' });
    expect(leftFrom(await sync(alice, { since, filter: gappy }), alice, roomToLeave)).toBe(true);
  });

  it('TestOlderLeftRoomsNotInLeaveSection: a room left before the token stays out of the leave section when others act in it', async () => {
    const filter = { room: { timeline: { limit: 1 }, include_leave: true } };
    const roomToLeave = await createRoom(alice.client, { preset: 'public_chat' });
    const roomToSpam = await createRoom(alice.client, { preset: 'public_chat' });
    await join(bob, roomToLeave);
    await join(bob, roomToSpam);
    let since = (await sync(alice, { filter })).next_batch;
    await leave(alice, roomToLeave);
    const left = await sync(alice, { since, filter });
    expect(leftFrom(left, alice, roomToLeave)).toBe(true);
    since = left.next_batch;
    // Bob's member event changes (a profile-like join → join), then a gap in another room.
    expect((await bob.client.put(path.room(roomToLeave, `state/m.room.member/${encodeURIComponent(bob.userId)}`), { membership: 'join', filler: 'Welcome back, my friends, to the show that never ends...' })).status).toBe(200);
    for (let i = 0; i < 20; i++) await send(bob.client, roomToSpam, { msgtype: 'm.text', body: 'Mr Anderson...' });
    const after = await sync(alice, { since, filter });
    expect(after.rooms?.leave ?? {}).toEqual({});
  });

  it('TestLeaveEventInviteRejection: rejecting an invite to a joined-visibility room shows the leave in the leave section', async () => {
    const filter = { room: { include_leave: true } };
    const roomId = await createRoom(bob.client, { initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    let since = (await sync(alice, { filter })).next_batch;
    expect((await bob.client.post(path.room(roomId, 'invite'), { user_id: alice.userId })).status).toBe(200);
    const invited = await sync(alice, { since, filter });
    expect(invited.rooms?.invite?.[roomId], JSON.stringify(invited.rooms)).toBeDefined();
    since = invited.next_batch;
    await leave(alice, roomId);
    const rejected = await sync(alice, { since, filter });
    expect(leftFrom(rejected, alice, roomId), JSON.stringify(rejected.rooms)).toBe(true);
  });
});
