// POST /search (room_events): messages of the rooms the user is joined to, newest first, paged by
// next_batch; never messages of rooms the user is not in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

interface RoomEvents {
  results: { rank: number; result: { event_id: string; room_id: string; content: { body?: string } } }[];
  count: number;
  next_batch?: string;
}
interface SearchResponse {
  search_categories: { room_events: RoomEvents };
}

describe('search', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let shared: string;
  let alicesOwn: string;
  let txn = 0;
  const sent: string[] = [];

  async function send(user: RegisteredUser, roomId: string, body: string): Promise<string> {
    txn += 1;
    const res = await user.client.put<{ event_id: string }>(`${v3}/rooms/${u(roomId)}/send/m.room.message/s${txn}`, { msgtype: 'm.text', body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.event_id;
  }
  const search = (user: RegisteredUser, roomEvents: Record<string, unknown>, nextBatch?: string) =>
    user.client.post<SearchResponse>(`${v3}/search${nextBatch ? `?next_batch=${u(nextBatch)}` : ''}`, { search_categories: { room_events: roomEvents } });

  beforeAll(async () => {
    runtime = await startTestRuntime('search');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    shared = (await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat', invite: [bob.userId] })).body.room_id;
    alicesOwn = (await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat' })).body.room_id;
    expect((await bob.client.post(`${v3}/join/${u(shared)}`, {})).status).toBe(200);
    sent.push(await send(alice, shared, 'Lunch at noon?'));
    await send(bob, shared, 'sounds good');
    sent.push(await send(bob, shared, 'LUNCH is on me'));
    sent.push(await send(alice, alicesOwn, 'private lunch notes'));
  });
  afterAll(() => runtime?.stop());

  it("finds messages in the user's rooms, case-insensitively, newest first", async () => {
    const res = await search(alice, { search_term: 'lunch' });
    expect(res.status).toBe(200);
    const room = res.body.search_categories.room_events;
    expect(room.results.map((r) => r.result.event_id)).toEqual([...sent].reverse());
    expect(room.count).toBe(3);
    expect(room.next_batch).toBeUndefined();
  });

  it('never shows messages of rooms the user is not in', async () => {
    const res = await search(bob, { search_term: 'lunch' });
    expect(res.body.search_categories.room_events.results.map((r) => r.result.event_id)).toEqual([sent[1], sent[0]]);
  });

  it('pages with next_batch and honours filter.rooms', async () => {
    const first = await search(alice, { search_term: 'lunch', filter: { limit: 2 } });
    const page1 = first.body.search_categories.room_events;
    expect(page1.results.map((r) => r.result.event_id)).toEqual([sent[2], sent[1]]);
    expect(page1.next_batch).toBeDefined();
    const second = await search(alice, { search_term: 'lunch', filter: { limit: 2 } }, page1.next_batch);
    expect(second.body.search_categories.room_events.results.map((r) => r.result.event_id)).toEqual([sent[0]]);
    expect(second.body.search_categories.room_events.next_batch).toBeUndefined();
    const onlyOwn = await search(alice, { search_term: 'lunch', filter: { rooms: [alicesOwn] } });
    expect(onlyOwn.body.search_categories.room_events.results.map((r) => r.result.event_id)).toEqual([sent[2]]);
  });

  // Complement tests/csapi/apidoc_search_test.go "Can get context around search results": every
  // word of the term matches (as Synapse's full-text search), a full page has next_batch, and the
  // context holds the events around the result, before ones newest first, with the profiles.
  it('gives the context around results, and the senders profiles when asked', async () => {
    const room = (await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat' })).body.room_id;
    expect((await alice.client.put(`${v3}/profile/${u(alice.userId)}/displayname`, { displayname: 'Alice Before' })).status).toBe(200);
    for (let i = 1; i <= 7; i++) await send(alice, room, `Message number ${i}`);
    expect((await alice.client.put(`${v3}/profile/${u(alice.userId)}/displayname`, { displayname: 'Alice After' })).status).toBe(200);
    const res = await search(alice, {
      keys: ['content.body'],
      search_term: 'Message 4',
      order_by: 'recent',
      filter: { limit: 1, rooms: [room] },
      event_context: { before_limit: 2, after_limit: 2, include_profile: true },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const found = res.body.search_categories.room_events as RoomEvents & {
      results: { context: { events_before: { content: { body: string } }[]; events_after: { content: { body: string } }[]; start: string; end: string; profile_info: Record<string, unknown> } }[];
    };
    expect(found.count).toBe(1);
    expect(found.next_batch).toBeDefined();
    expect(found.results[0]!.result).toMatchObject({ room_id: room, type: 'm.room.message', content: { body: 'Message number 4' } });
    const context = found.results[0]!.context;
    expect(context.events_before.map((e) => e.content.body)).toEqual(['Message number 3', 'Message number 2']);
    expect(context.events_after.map((e) => e.content.body)).toEqual(['Message number 5', 'Message number 6']);
    expect(context.start).toBeTruthy();
    expect(context.end).toBeTruthy();
    expect(context.profile_info).toEqual({ [alice.userId]: { displayname: 'Alice Before' } });
    // Without event_context, no context.
    const plain = await search(alice, { search_term: 'number 4', filter: { rooms: [room] } });
    expect(plain.body.search_categories.room_events.results.map((r) => Object.keys(r))).toEqual([['rank', 'result']]);
    // Words begin words: "numb" finds all seven, "umber" none.
    expect((await search(alice, { search_term: 'numb', filter: { rooms: [room] } })).body.search_categories.room_events.count).toBe(7);
    expect((await search(alice, { search_term: 'umber', filter: { rooms: [room] } })).body.search_categories.room_events.count).toBe(0);
  });

  // Complement "Can back-paginate search results": two full pages, each with next_batch, then an empty one without.
  it('back-paginates: every full page has next_batch, the empty page after the last none', async () => {
    const room = (await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat' })).body.room_id;
    const ids: string[] = [];
    for (let i = 0; i <= 19; i++) ids.push(await send(alice, room, `Paged number ${i}`));
    const body = { keys: ['content.body'], search_term: 'Paged', order_by: 'recent', filter: { limit: 10, rooms: [room] } };
    const first = (await search(alice, body)).body.search_categories.room_events;
    expect([first.count, first.results[0]!.result.event_id, first.results[9]!.result.event_id]).toEqual([20, ids[19], ids[10]]);
    expect(first.next_batch).toBeDefined();
    const second = (await search(alice, body, first.next_batch)).body.search_categories.room_events;
    expect([second.count, second.results[0]!.result.event_id, second.results[9]!.result.event_id]).toEqual([20, ids[9], ids[0]]);
    expect(second.next_batch).toBeDefined();
    const third = (await search(alice, body, second.next_batch)).body.search_categories.room_events;
    expect([third.count, third.results.length, third.next_batch]).toEqual([20, 0, undefined]);
  });

  it('refuses bad requests', async () => {
    expectError(await alice.client.post(`${v3}/search`, {}), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/search`, { search_categories: { room_events: {} } }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/search`, { search_categories: { room_events: { search_term: 3 } } }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/search`, { search_categories: { room_events: { search_term: 'x', event_context: { before_limit: -1 } } } }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/search?next_batch=not-a-token`, { search_categories: { room_events: { search_term: 'lunch' } } }), 400, 'M_INVALID_PARAM');
    expectError(await new TestClient(runtime.httpUrl).post(`${v3}/search`, { search_categories: {} }), 401, 'M_MISSING_TOKEN');
  });
});
