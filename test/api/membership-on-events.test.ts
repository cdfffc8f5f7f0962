// The requester's membership at each event, `unsigned.membership` (MSC4115), on every event a
// client receives: /sync timelines, /messages, /context, /event, /relations, search results and
// their context, sliding sync. Ported from Complement: tests/csapi/membership_on_events_test.go
// (TestMembershipOnEvents); the other endpoints and memberships as Synapse serves them (the
// membership after the event; `leave` when never a member).
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
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: { membership?: string };
}
type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { timeline: { events: Event[] } }>; leave?: Record<string, { timeline: { events: Event[] } }> } };

describe('unsigned.membership on events (MSC4115, Complement TestMembershipOnEvents)', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let preJoin: string;
  let postJoin: string;
  let bobJoin: string;

  const join = async (user: RegisteredUser, room: string) => {
    const res = await user.client.post<{ room_id: string }>(`${path.v3}/join/${encodeURIComponent(room)}`, {});
    expect(res.status).toBe(200);
  };
  const message = async (user: RegisteredUser, room: string, body: string) => (await send(user.client, room, { msgtype: 'm.text', body })).body.event_id as string;
  const memberships = (events: readonly Event[]) => Object.fromEntries(events.map((e) => [e.event_id, e.unsigned?.membership]));

  beforeAll(async () => {
    runtime = await startTestRuntime('membership-on-events');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    preJoin = await message(alice, roomId, 'prejoin');
    await join(bob, roomId);
    postJoin = await message(alice, roomId, 'postjoin');
    const members = await bob.client.get<{ chunk: Event[] }>(path.room(roomId, 'members'));
    bobJoin = members.body.chunk.find((e) => e.state_key === bob.userId)!.event_id;
  });
  afterAll(() => runtime?.stop());

  it('/sync: leave on every event until the join, join from it on (Complement)', async () => {
    const res = await bob.client.get<SyncBody>(`${path.v3}/sync?timeout=0`);
    const events = res.body.rooms!.join![roomId]!.timeline.events;
    expect(events.map((e) => e.event_id)).toEqual(expect.arrayContaining([preJoin, bobJoin, postJoin]));
    let seenJoin = false;
    for (const ev of events) {
      if (ev.type === 'm.room.member' && ev.state_key === bob.userId) seenJoin = true;
      expect(ev.unsigned?.membership, JSON.stringify(ev)).toBe(seenJoin ? 'join' : 'leave');
    }
  });

  it('/messages, /context and /event carry it', async () => {
    const messages = await bob.client.get<{ chunk: Event[] }>(`${path.room(roomId, 'messages')}?dir=b&limit=50`);
    expect(memberships(messages.body.chunk)).toMatchObject({ [preJoin]: 'leave', [bobJoin]: 'join', [postJoin]: 'join' });
    const context = await bob.client.get<{ event: Event; events_before: Event[]; events_after: Event[] }>(path.room(roomId, `context/${encodeURIComponent(bobJoin)}?limit=10`));
    expect(context.body.event.unsigned?.membership).toBe('join');
    expect(memberships(context.body.events_before)[preJoin]).toBe('leave');
    expect(memberships(context.body.events_after)[postJoin]).toBe('join');
    const event = await bob.client.get<Event>(path.room(roomId, `event/${encodeURIComponent(preJoin)}`));
    expect(event.body.unsigned?.membership).toBe('leave');
    // Alice, there from the start, was joined at all of them.
    const own = await alice.client.get<Event>(path.room(roomId, `event/${encodeURIComponent(preJoin)}`));
    expect(own.body.unsigned?.membership).toBe('join');
  });

  it('/relations and search results (with their context) carry it', async () => {
    const word = `needle${Math.random().toString(36).slice(2, 8)}`;
    const reply = (await send(alice.client, roomId, { msgtype: 'm.text', body: `${word} reply`, 'm.relates_to': { rel_type: 'm.thread', event_id: preJoin } })).body.event_id as string;
    const relations = await bob.client.get<{ chunk: Event[] }>(`/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(preJoin)}`);
    expect(memberships(relations.body.chunk)).toEqual({ [reply]: 'join' });
    const search = await bob.client.post<{ search_categories: { room_events: { results: { result: Event; context?: { events_before: Event[] } }[] } } }>(`${path.v3}/search`, {
      search_categories: { room_events: { search_term: word, event_context: { before_limit: 10, after_limit: 0 } } },
    });
    const [result] = search.body.search_categories.room_events.results;
    expect(result!.result.event_id).toBe(reply);
    expect(result!.result.unsigned?.membership).toBe('join');
    expect(memberships(result!.context!.events_before)).toMatchObject({ [bobJoin]: 'join', [preJoin]: 'leave' });
  });

  it('a left room: the leave event carries leave, the ban event ban; invited users see invite', async () => {
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const room = await createRoom(alice.client, { preset: 'private_chat' });
    expect((await alice.client.post(path.room(room, 'invite'), { user_id: carol.userId })).status).toBe(200);
    const sinceInvite = (await carol.client.get<SyncBody>(`${path.v3}/sync?timeout=0`)).body.next_batch;
    await join(carol, room);
    const joined = await message(alice, room, 'while joined');
    expect((await carol.client.post(path.room(room, 'leave'), {})).status).toBe(200);
    const left = await carol.client.get<SyncBody>(`${path.v3}/sync?timeout=0&since=${encodeURIComponent(sinceInvite)}`);
    const timeline = left.body.rooms!.leave![room]!.timeline.events;
    const own = timeline.filter((e) => e.type === 'm.room.member' && e.state_key === carol.userId);
    expect(own.map((e) => [e.content.membership, e.unsigned?.membership])).toEqual([
      ['join', 'join'],
      ['leave', 'leave'],
    ]);
    expect(memberships(timeline)[joined]).toBe('join');
    // /messages of the left room: the invite event carries invite.
    const history = await carol.client.get<{ chunk: Event[] }>(`${path.room(room, 'messages')}?dir=b&limit=50`);
    const invite = history.body.chunk.find((e) => e.type === 'm.room.member' && e.state_key === carol.userId && e.content.membership === 'invite');
    expect(invite?.unsigned?.membership).toBe('invite');

    expect((await alice.client.post(path.room(room, 'invite'), { user_id: carol.userId })).status).toBe(200);
    await join(carol, room);
    const sinceRejoin = (await carol.client.get<SyncBody>(`${path.v3}/sync?timeout=0`)).body.next_batch;
    expect((await alice.client.post(path.room(room, 'ban'), { user_id: carol.userId })).status).toBe(200);
    const banned = await carol.client.get<SyncBody>(`${path.v3}/sync?timeout=0&since=${encodeURIComponent(sinceRejoin)}`);
    const ban = banned.body.rooms!.leave![room]!.timeline.events.find((e) => e.content.membership === 'ban');
    expect(ban?.unsigned?.membership).toBe('ban');
  });

  it('sliding sync timelines carry it', async () => {
    const res = await slidingSync(bob.client, { lists: { all: { ranges: [[0, 10]], timeline_limit: 50, required_state: [] } } }, { timeout: 0 });
    expect(memberships(res.rooms![roomId]!.timeline as unknown as Event[])).toMatchObject({ [preJoin]: 'leave', [bobJoin]: 'join', [postJoin]: 'join' });
  });
});
