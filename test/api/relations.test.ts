// Relations and threads: the rooms topology indexes events with m.relates_to, /relations pages
// through an event's children (by rel type and event type), /threads lists thread roots newest
// reply first with their m.thread aggregation, and both follow the room's read rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v1 = '/_matrix/client/v1';
const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

interface Event {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}
interface Page {
  chunk: Event[];
  next_batch?: string;
  prev_batch?: string;
}
interface ThreadAggregation {
  latest_event: Event;
  count: number;
  current_user_participated: boolean;
}

describe('relations and threads', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let outsider: RegisteredUser;
  let roomId: string;
  let txn = 0;

  async function send(user: RegisteredUser, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    txn += 1;
    const res = await user.client.put<{ event_id: string }>(`${v3}/rooms/${u(roomId)}/send/${u(type)}/t${txn}`, content);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.event_id;
  }
  const text = (body: string) => ({ msgtype: 'm.text', body });
  const inThread = (root: string, body: string) => ({ ...text(body), 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  const relationsPath = (eventId: string, ...rest: string[]) => `${v1}/rooms/${u(roomId)}/relations/${u(eventId)}${rest.map((s) => `/${u(s)}`).join('')}`;

  let rootA: string;
  let rootB: string;
  let plain: string;
  const threadA: string[] = [];
  let reaction: string;
  let threadB: string;
  let edit: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('relations');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, outsider] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    const created = await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat', invite: [bob.userId] });
    roomId = created.body.room_id;
    expect((await bob.client.post(`${v3}/join/${u(roomId)}`, {})).status).toBe(200);
    rootA = await send(alice, text('root A'));
    rootB = await send(bob, text('root B'));
    plain = await send(alice, text('no thread here'));
    for (let i = 0; i < 3; i++) threadA.push(await send(alice, inThread(rootA, `A reply ${i}`)));
    reaction = await send(bob, { 'm.relates_to': { rel_type: 'm.annotation', event_id: rootA, key: '👍' } }, 'm.reaction');
    threadB = await send(alice, inThread(rootB, 'B reply'));
    const replace = (body: string) => ({ ...text(`* ${body}`), 'm.new_content': text(body), 'm.relates_to': { rel_type: 'm.replace', event_id: plain } });
    edit = await send(alice, replace('edited once'));
  });
  afterAll(() => runtime?.stop());

  it('lists all children of an event, newest first', async () => {
    const res = await bob.client.get<Page>(relationsPath(rootA));
    expect(res.status).toBe(200);
    expect(res.body.chunk.map((e) => e.event_id)).toEqual([reaction, ...[...threadA].reverse()]);
    expect(res.body.next_batch).toBeUndefined();
  });

  it('filters by relation type and by event type', async () => {
    const threads = await bob.client.get<Page>(relationsPath(rootA, 'm.thread'));
    expect(threads.body.chunk.map((e) => e.event_id)).toEqual([...threadA].reverse());
    const reactions = await bob.client.get<Page>(relationsPath(rootA, 'm.annotation', 'm.reaction'));
    expect(reactions.body.chunk.map((e) => e.event_id)).toEqual([reaction]);
    const none = await bob.client.get<Page>(relationsPath(rootA, 'm.annotation', 'm.room.message'));
    expect(none.body.chunk).toEqual([]);
    expect((await bob.client.get<Page>(relationsPath(plain))).body.chunk.map((e) => e.event_id)).toEqual([edit]);
    expect((await bob.client.get<Page>(relationsPath(threadA[0]!))).body.chunk).toEqual([]);
  });

  it('paginates with next_batch, backwards and forwards', async () => {
    const first = await alice.client.get<Page>(`${relationsPath(rootA, 'm.thread')}?limit=2`);
    expect(first.body.chunk.map((e) => e.event_id)).toEqual([threadA[2], threadA[1]]);
    expect(first.body.next_batch).toBeDefined();
    const second = await alice.client.get<Page>(`${relationsPath(rootA, 'm.thread')}?limit=2&from=${first.body.next_batch}`);
    expect(second.body.chunk.map((e) => e.event_id)).toEqual([threadA[0]]);
    expect(second.body.next_batch).toBeUndefined();
    const forwards = await alice.client.get<Page>(`${relationsPath(rootA)}?dir=f&limit=3`);
    expect(forwards.body.chunk.map((e) => e.event_id)).toEqual(threadA);
    const rest = await alice.client.get<Page>(`${relationsPath(rootA)}?dir=f&limit=3&from=${forwards.body.next_batch}`);
    expect(rest.body.chunk.map((e) => e.event_id)).toEqual([reaction]);
  });

  // spec: /sync tokens are pagination tokens (Complement's relation pagination from a sync position)
  it('takes a /sync next_batch as from and to', async () => {
    const react = (key: string) => send(bob, { 'm.relates_to': { rel_type: 'm.annotation', event_id: threadA[0], key } }, 'm.reaction');
    const earlier = await react('👀');
    const synced = await alice.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`);
    expect(synced.status).toBe(200);
    const token = encodeURIComponent(synced.body.next_batch);
    const later = await react('🎉');
    const before = await alice.client.get<Page>(`${relationsPath(threadA[0]!)}?from=${token}`);
    expect(before.status).toBe(200);
    expect(before.body.chunk.map((e) => e.event_id)).toEqual([earlier]);
    const after = await alice.client.get<Page>(`${relationsPath(threadA[0]!)}?to=${token}`);
    expect(after.body.chunk.map((e) => e.event_id)).toEqual([later]);
    expect((await alice.client.get(`${relationsPath(threadA[0]!)}?from=s1_nope`)).status).toBe(400);
  });

  it('refuses non-members, unknown events and bad parameters', async () => {
    expectError(await outsider.client.get(relationsPath(rootA)), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(relationsPath('$nope')), 404, 'M_NOT_FOUND');
    expectError(await alice.client.get(`${relationsPath(rootA)}?dir=x`), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(`${relationsPath(rootA)}?limit=-1`), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(`${relationsPath(rootA)}?from=garbage`), 400, 'M_INVALID_PARAM');
    expectError(await new TestClient(runtime.httpUrl).get(relationsPath(rootA)), 401, 'M_MISSING_TOKEN');
  });

  it('lists thread roots by newest reply, with counts and participation', async () => {
    const res = await bob.client.get<Page>(`${v1}/rooms/${u(roomId)}/threads`);
    expect(res.status).toBe(200);
    expect(res.body.chunk.map((e) => e.event_id)).toEqual([rootB, rootA]);
    const [b, a] = res.body.chunk.map((e) => (e.unsigned?.['m.relations'] as { 'm.thread': ThreadAggregation })['m.thread']);
    expect(b).toMatchObject({ count: 1, current_user_participated: true }); // bob wrote root B
    expect(b!.latest_event.event_id).toBe(threadB);
    expect(a).toMatchObject({ count: 3, current_user_participated: false });
    expect(a!.latest_event.event_id).toBe(threadA[2]);
    const participated = await bob.client.get<Page>(`${v1}/rooms/${u(roomId)}/threads?include=participated`);
    expect(participated.body.chunk.map((e) => e.event_id)).toEqual([rootB]);
  });

  it('pages thread roots and refuses bad requests', async () => {
    const first = await alice.client.get<Page>(`${v1}/rooms/${u(roomId)}/threads?limit=1`);
    expect(first.body.chunk.map((e) => e.event_id)).toEqual([rootB]);
    expect(first.body.next_batch).toBeDefined();
    const second = await alice.client.get<Page>(`${v1}/rooms/${u(roomId)}/threads?limit=1&from=${u(first.body.next_batch!)}`);
    expect(second.body.chunk.map((e) => e.event_id)).toEqual([rootA]);
    expect(second.body.next_batch).toBeUndefined();
    expectError(await outsider.client.get(`${v1}/rooms/${u(roomId)}/threads`), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(`${v1}/rooms/${u(roomId)}/threads?include=mine`), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(`${v1}/rooms/${u(roomId)}/threads?from=zzz`), 400, 'M_INVALID_PARAM');
  });

  it('bundles m.thread and m.replace into /messages, /event and /context', async () => {
    const messages = await bob.client.get<{ chunk: Event[] }>(`${v3}/rooms/${u(roomId)}/messages?dir=b&limit=50`);
    expect(messages.status).toBe(200);
    const byId = new Map(messages.body.chunk.map((e) => [e.event_id, e]));
    const relationsOf = (e: Event | undefined) => e?.unsigned?.['m.relations'] as { 'm.thread'?: ThreadAggregation; 'm.replace'?: Event } | undefined;
    expect(relationsOf(byId.get(rootA))?.['m.thread']).toMatchObject({ count: 3, current_user_participated: false });
    expect(relationsOf(byId.get(rootA))?.['m.thread']?.latest_event.event_id).toBe(threadA[2]);
    expect(relationsOf(byId.get(rootB))?.['m.thread']?.count).toBe(1);
    expect(relationsOf(byId.get(plain))?.['m.replace']?.event_id).toBe(edit);
    expect(relationsOf(byId.get(threadA[0]!))).toBeUndefined();
    const one = await alice.client.get<Event>(`${v3}/rooms/${u(roomId)}/event/${u(rootA)}`);
    expect(relationsOf(one.body)?.['m.thread']).toMatchObject({ count: 3, current_user_participated: true });
    const context = await alice.client.get<{ event: Event; events_before: Event[] }>(`${v3}/rooms/${u(roomId)}/context/${u(plain)}?limit=4`);
    expect(relationsOf(context.body.event)?.['m.replace']?.event_id).toBe(edit);
    expect(relationsOf(context.body.events_before.find((e) => e.event_id === rootA))?.['m.thread']?.count).toBe(3);
  });

  it('does not bundle an edit by someone other than the sender', async () => {
    txn += 1;
    const forged = await bob.client.put<{ event_id: string }>(`${v3}/rooms/${u(roomId)}/send/m.room.message/t${txn}`, {
      ...text('* forged'),
      'm.new_content': text('forged'),
      'm.relates_to': { rel_type: 'm.replace', event_id: rootA },
    });
    expect(forged.status).toBe(200);
    const one = await alice.client.get<Event>(`${v3}/rooms/${u(roomId)}/event/${u(rootA)}`);
    const bundled = one.body.unsigned?.['m.relations'] as Record<string, unknown>;
    expect(bundled['m.thread']).toBeDefined();
    expect(bundled['m.replace']).toBeUndefined();
  });
});
