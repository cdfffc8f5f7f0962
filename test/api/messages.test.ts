// GET /rooms/{roomId}/messages through the local runtime, over rooms written by the real rooms
// write path: pagination both ways with from/to/limit, filters, lazy-loaded members, history
// visibility for users who joined late or left, and the errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { ClientEvent } from '../../lib/matrix/events.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send, timelineOf } from './rooms-support.ts';

interface Page {
  chunk: ClientEvent[];
  start: string;
  end?: string;
  state?: ClientEvent[];
}

function messagesPath(roomId: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  return `${path.room(roomId, 'messages')}?${query}`;
}

async function page(client: TestClient, roomId: string, params: Record<string, string | number | undefined>): Promise<Page> {
  const res = await client.get<Page>(messagesPath(roomId, params));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Follows `end` tokens until they run out; returns every page. */
async function paginate(client: TestClient, roomId: string, params: Record<string, string | number | undefined>): Promise<Page[]> {
  const pages: Page[] = [];
  let from = params.from;
  for (let i = 0; i < 200; i++) {
    const p = await page(client, roomId, { ...params, from });
    if (from !== undefined) expect(p.start).toBe(from);
    pages.push(p);
    if (p.end === undefined) return pages;
    from = p.end;
  }
  throw new Error('pagination did not end');
}

const ids = (events: readonly ClientEvent[]) => events.map((e) => e.event_id);
const bodies = (events: readonly ClientEvent[]) => events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

async function sendAll(client: TestClient, roomId: string, texts: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const body of texts) {
    const res = await send(client, roomId, { msgtype: 'm.text', body });
    expect(res.status).toBe(200);
    out.push(res.body.event_id);
  }
  return out;
}

describe('GET /rooms/{roomId}/messages', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  let allIds: string[];
  beforeAll(async () => {
    runtime = await startTestRuntime('messages');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const texts = Array.from({ length: 23 }, (_, i) => `m${i}`);
    for (let i = 0; i < texts.length; i++) {
      const sender = i % 3 === 2 ? bob : alice;
      const res = await send(sender.client, roomId, { msgtype: 'm.text', body: texts[i] });
      expect(res.status).toBe(200);
    }
    const image = await send(bob.client, roomId, { msgtype: 'm.image', body: 'cat.png', url: 'mxc://localhost/cat' });
    expect(image.status).toBe(200);
    allIds = (await timelineOf(roomId)).map((e) => e.event.event_id);
  });
  afterAll(() => runtime?.stop());

  it('pages backwards from the end with limit, every event exactly once, newest first', async () => {
    const pages = await paginate(alice.client, roomId, { dir: 'b', limit: 7 });
    // full pages, the rest, then the empty page without `end`
    expect(pages.slice(0, -2).every((p) => p.chunk.length === 7)).toBe(true);
    const seen = pages.flatMap((p) => ids(p.chunk));
    expect(seen).toEqual([...allIds].reverse());
    expect(pages.at(-1)!.chunk).toEqual([]);
    expect(pages.at(-1)!.end).toBeUndefined();
  });

  it('pages forwards from the start, every event exactly once, oldest first', async () => {
    const pages = await paginate(alice.client, roomId, { dir: 'f', limit: 5 });
    expect(pages.flatMap((p) => ids(p.chunk))).toEqual(allIds);
    expect(pages[0]!.chunk[0]!.type).toBe('m.room.create');
  });

  it('turns around at any token: backwards then forwards from the same point covers the rest', async () => {
    const first = await page(alice.client, roomId, { dir: 'b', limit: 9 });
    expect(first.end).toBeDefined();
    const older = (await paginate(alice.client, roomId, { dir: 'b', from: first.end, limit: 4 })).flatMap((p) => ids(p.chunk));
    const newer = (await paginate(alice.client, roomId, { dir: 'f', from: first.end, limit: 4 })).flatMap((p) => ids(p.chunk));
    expect([...older].reverse().concat(newer)).toEqual(allIds);
    expect(newer).toEqual([...ids(first.chunk)].reverse());
  });

  it('stops at `to` in both directions', async () => {
    const head = await page(alice.client, roomId, { dir: 'f', limit: 3 });
    const tail = await page(alice.client, roomId, { dir: 'b', limit: 3 });
    // Between the first three and the last three events.
    const middleForward = await paginate(alice.client, roomId, { dir: 'f', from: head.end, to: tail.end, limit: 6 });
    const middleBackward = await paginate(alice.client, roomId, { dir: 'b', from: tail.end, to: head.end, limit: 6 });
    const middle = allIds.slice(3, -3);
    expect(middleForward.flatMap((p) => ids(p.chunk))).toEqual(middle);
    expect(middleBackward.flatMap((p) => ids(p.chunk))).toEqual([...middle].reverse());
  });

  it('defaults to 10 events and caps large limits', async () => {
    expect((await page(alice.client, roomId, { dir: 'b' })).chunk).toHaveLength(10);
    const all = await page(alice.client, roomId, { dir: 'f', limit: 100000 });
    expect(ids(all.chunk)).toEqual(allIds);
    // a page that reached the end has an `end` still (Synapse); from it, an empty page without one
    expect(all.end).toBeDefined();
    const after = await page(alice.client, roomId, { dir: 'f', from: all.end, limit: 100000 });
    expect(after.chunk).toEqual([]);
    expect(after.end).toBeUndefined();
  });

  // spec: /sync's next_batch is a /messages token too (matrix-nio's room_messages(start=next_batch); Synapse answers it)
  it('takes a /sync next_batch as from and to', async () => {
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    const before = await sendAll(alice.client, room, ['b1', 'b2']);
    const synced = await alice.client.get<{ next_batch: string }>(`${path.v3}/sync?timeout=0`);
    expect(synced.status).toBe(200);
    const token = synced.body.next_batch;
    const after = await sendAll(alice.client, room, ['a1', 'a2']);
    const back = await page(alice.client, room, { dir: 'b', from: token, limit: 2 });
    expect(ids(back.chunk)).toEqual([...before].reverse());
    expect(back.start).toBe(token);
    const forward = await paginate(alice.client, room, { dir: 'f', from: token, limit: 10 });
    expect(forward.flatMap((p) => ids(p.chunk))).toEqual(after);
    const upTo = await page(alice.client, room, { dir: 'b', to: token, limit: 10 });
    expect(ids(upTo.chunk)).toEqual([...after].reverse());
    expectError(await alice.client.get(messagesPath(room, { dir: 'b', from: 's1_%%%' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(room, { dir: 'b', from: 's1_bm90LWpzb24' })), 400, 'M_INVALID_PARAM');
  });

  // Complement's TestRoomImageRoundtrip
  it('filters by contains_url; a page reaching the start of the room still has `end`', async () => {
    const withUrl = await page(alice.client, roomId, { dir: 'b', filter: JSON.stringify({ contains_url: true }) });
    expect(bodies(withUrl.chunk)).toEqual(['cat.png']);
    expect(typeof withUrl.start).toBe('string');
    expect(typeof withUrl.end).toBe('string');
    const older = await page(alice.client, roomId, { dir: 'b', from: withUrl.end, filter: JSON.stringify({ contains_url: true }) });
    expect(older.chunk).toEqual([]);
    expect(older.end).toBeUndefined();
    const without = await page(alice.client, roomId, { dir: 'b', limit: 100, filter: JSON.stringify({ contains_url: false }) });
    expect(without.chunk.map((e) => e.content.url)).toEqual(without.chunk.map(() => undefined));
    expect(without.chunk.length).toBe(allIds.length - 1);
  });

  it('returns client-format events: age, room id, transaction id only to the sending device', async () => {
    const txnId = `txn-${Date.now()}`;
    const sent = await send(alice.client, roomId, { msgtype: 'm.text', body: 'with txn' }, txnId);
    const mine = (await page(alice.client, roomId, { dir: 'b', limit: 1 })).chunk[0]!;
    expect(mine.event_id).toBe(sent.body.event_id);
    expect(mine.unsigned?.transaction_id).toBe(txnId);
    expect(mine.room_id).toBe(roomId);
    expect(typeof mine.unsigned?.age).toBe('number');
    const theirs = (await page(bob.client, roomId, { dir: 'b', limit: 1 })).chunk[0]!;
    expect(theirs.event_id).toBe(sent.body.event_id);
    expect(theirs.unsigned?.transaction_id).toBeUndefined();
    // Another device of the same user does not see it either.
    const login = await new TestClient(runtime.httpUrl).post<{ access_token: string }>('/_matrix/client/v3/login', {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: 'correct horse battery staple',
    });
    expect(login.status).toBe(200);
    const other = (await page(new TestClient(runtime.httpUrl, login.body.access_token), roomId, { dir: 'b', limit: 1 })).chunk[0]!;
    expect(other.unsigned?.transaction_id).toBeUndefined();
    allIds.push(sent.body.event_id);
  });

  it('filters by types, not_types, senders, not_senders and contains_url', async () => {
    const all = (await page(alice.client, roomId, { dir: 'f', limit: 1000 })).chunk;
    const run = async (filter: object) => (await page(alice.client, roomId, { dir: 'f', limit: 1000, filter: JSON.stringify(filter) })).chunk;
    expect(ids(await run({ types: ['m.room.message'] }))).toEqual(ids(all.filter((e) => e.type === 'm.room.message')));
    expect(ids(await run({ types: ['m.room.*'], not_types: ['m.room.message', 'm.room.member'] }))).toEqual(
      ids(all.filter((e) => e.type !== 'm.room.message' && e.type !== 'm.room.member')),
    );
    expect(ids(await run({ senders: [bob.userId] }))).toEqual(ids(all.filter((e) => e.sender === bob.userId)));
    expect(ids(await run({ not_senders: [bob.userId] }))).toEqual(ids(all.filter((e) => e.sender !== bob.userId)));
    expect(bodies(await run({ contains_url: true }))).toEqual(['cat.png']);
    expect(await run({ contains_url: false })).toHaveLength(all.length - 1);
    // A filtered page still fills up to the limit and continues with `end`.
    const pages = await paginate(alice.client, roomId, { dir: 'b', limit: 3, filter: JSON.stringify({ senders: [bob.userId] }) });
    expect(pages.flatMap((p) => ids(p.chunk))).toEqual(ids(all.filter((e) => e.sender === bob.userId)).reverse());
  });

  it('lazy-loads the member events of the chunk’s senders', async () => {
    const lazy = JSON.stringify({ lazy_load_members: true, senders: [bob.userId] });
    const res = await page(alice.client, roomId, { dir: 'b', limit: 3, filter: lazy });
    expect(res.chunk.every((e) => e.sender === bob.userId)).toBe(true);
    expect(res.state?.map((e) => [e.type, e.state_key, e.content.membership])).toEqual([['m.room.member', bob.userId, 'join']]);
    const both = await page(alice.client, roomId, { dir: 'b', limit: 20, filter: JSON.stringify({ lazy_load_members: true }) });
    const senders = new Set(both.chunk.map((e) => e.sender));
    expect(new Set(both.state?.map((e) => e.state_key))).toEqual(senders);
    const without = await page(alice.client, roomId, { dir: 'b', limit: 3 });
    expect(without.state).toBeUndefined();
  });

  it('refuses malformed tokens and parameters with 400, before reading anything', async () => {
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'b', from: 'garbage' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'f', to: 'p-3' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'x' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, {})), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'b', limit: 'ten' })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'b', limit: -1 })), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'b', filter: '{not json' })), 400, 'M_BAD_JSON');
    expectError(await alice.client.get(messagesPath(roomId, { dir: 'b', filter: '{"types":"m.room.message"}' })), 400, 'M_BAD_JSON');
  });

  it('answers 403 to a user who was never in the room, and for an unknown room; 401 without a token', async () => {
    expectError(await carol.client.get(messagesPath(roomId, { dir: 'b' })), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(messagesPath('!nowhere:localhost', { dir: 'b' })), 403, 'M_FORBIDDEN');
    expectError(await new TestClient(runtime.httpUrl).get(messagesPath(roomId, { dir: 'b' })), 401, 'M_MISSING_TOKEN');
  });

  describe('history visibility', () => {
    /**
     * alice: a1, invites dave, a2, dave joins, a3, dave leaves, a4. Returns the message bodies dave
     * and a late joiner (erin, joined after a4) see.
     */
    async function scenario(visibility: string) {
      const room = await createRoom(alice.client, {
        preset: 'private_chat',
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: visibility } }],
      });
      const anonymous = new TestClient(runtime.httpUrl);
      const [dave, erin] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
      await sendAll(alice.client, room, ['a1']);
      expect((await alice.client.post(path.room(room, 'invite'), { user_id: dave.userId })).status).toBe(200);
      await sendAll(alice.client, room, ['a2']);
      expect((await dave.client.post(path.room(room, 'join'), {})).status).toBe(200);
      await sendAll(alice.client, room, ['a3']);
      expect((await dave.client.post(path.room(room, 'leave'), {})).status).toBe(200);
      await sendAll(alice.client, room, ['a4']);
      expect((await alice.client.post(path.room(room, 'invite'), { user_id: erin.userId })).status).toBe(200);
      expect((await erin.client.post(path.room(room, 'join'), {})).status).toBe(200);
      await sendAll(alice.client, room, ['a5']);
      const read = async (user: RegisteredUser, dir: 'b' | 'f') => {
        const pages = await paginate(user.client, room, { dir, limit: 2 });
        const events = pages.flatMap((p) => p.chunk);
        return dir === 'b' ? events.reverse() : events;
      };
      if (visibility === 'world_readable') await readsAfterLeaving(room, dave);
      const daveEvents = await read(dave, 'b');
      expect(ids(await read(dave, 'f'))).toEqual(ids(daveEvents));
      const ownMembership = daveEvents.filter((e) => e.type === 'm.room.member' && e.state_key === dave.userId).map((e) => e.content.membership);
      return { dave: bodies(daveEvents), daveOwn: ownMembership, erin: bodies(await read(erin, 'b')) };
    }

    it('shared: a member sees history from before they joined, up to their leave', async () => {
      const seen = await scenario('shared');
      expect(seen.dave).toEqual(['a1', 'a2', 'a3']);
      expect(seen.daveOwn).toEqual(['invite', 'join', 'leave']);
      expect(seen.erin).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    });

    it('joined: only while joined (their own join and leave included)', async () => {
      const seen = await scenario('joined');
      expect(seen.dave).toEqual(['a3']);
      expect(seen.daveOwn).toEqual(['join', 'leave']);
      expect(seen.erin).toEqual(['a5']);
    });

    it('invited: from the invite on, up to the leave', async () => {
      const seen = await scenario('invited');
      expect(seen.dave).toEqual(['a2', 'a3']);
      expect(seen.daveOwn).toEqual(['invite', 'join', 'leave']);
      expect(seen.erin).toEqual(['a5']);
    });

    /** What a former member reads of a world_readable room besides its messages: as much as a stranger. */
    async function readsAfterLeaving(room: string, former: RegisteredUser) {
      const topic = await alice.client.put<{ event_id: string }>(path.room(room, 'state/m.room.topic'), { topic: 'after the leave' });
      expect(topic.status).toBe(200);
      const state = await former.client.get<{ event_id: string }[]>(path.room(room, 'state'));
      expect(state.status).toBe(200);
      expect(state.body.map((e) => e.event_id)).toContain(topic.body.event_id);
      expect((await former.client.get(path.room(room, `event/${encodeURIComponent(topic.body.event_id)}`))).status).toBe(200);
      const joined = await former.client.get<{ joined: Record<string, unknown> }>(path.room(room, 'joined_members'));
      expect(joined.status).toBe(200);
      expect(Object.keys(joined.body.joined)).toContain(alice.userId);
    }

    it('world_readable: a former member reads it all, as a stranger does (spec; Synapse stops them at their leave)', async () => {
      const seen = await scenario('world_readable');
      expect(seen.dave).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
      expect(seen.erin).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    });

    it('world_readable: anyone, even never a member, reads it all', async () => {
      const room = await createRoom(alice.client, {
        preset: 'private_chat',
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } }],
      });
      await sendAll(alice.client, room, ['w1', 'w2']);
      expect(bodies((await page(carol.client, room, { dir: 'f', limit: 50 })).chunk)).toEqual(['w1', 'w2']);
    });
  });
});
