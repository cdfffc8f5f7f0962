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

  it('refuses bad requests', async () => {
    expectError(await alice.client.post(`${v3}/search`, {}), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/search`, { search_categories: { room_events: {} } }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/search`, { search_categories: { room_events: { search_term: 3 } } }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/search?next_batch=not-a-token`, { search_categories: { room_events: { search_term: 'lunch' } } }), 400, 'M_INVALID_PARAM');
    expectError(await new TestClient(runtime.httpUrl).post(`${v3}/search`, { search_categories: {} }), 401, 'M_MISSING_TOKEN');
  });
});
