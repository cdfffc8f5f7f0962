// Unread notification counts through the real runtime: the rooms topology evaluates each joined
// member's push rules on each event and counts the notifying ones; read receipts (folded by the
// ephemeral topology) clear them; /sync shows them as rooms.join.<id>.unread_notifications. A
// redelivered rooms record counts nothing twice.
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type _Record } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { invocationContext, kinesisEvent, sequencePosition } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { countsPath, tallyPath } from '../../lib/matrix/notifications/counts.ts';
import { eventLocations, roomTimeline } from '../../lib/matrix/pstates.ts';
import { handler as roomsTopology } from '../../functions/streams/rooms.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, send } from './rooms-support.ts';
import { until } from '../support/poll.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

interface Unread {
  notification_count: number;
  highlight_count: number;
}
interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { event_id: string }[] }; unread_notifications: Unread }> };
}

/** The room's section of an initial sync with a one-event timeline. */
async function roomView(user: RegisteredUser, roomId: string) {
  const filter = JSON.stringify({ room: { timeline: { limit: 1 } } });
  const res = await user.client.get<SyncResponse>(`${v3}/sync?timeout=0&filter=${u(filter)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const room = res.body.rooms?.join?.[roomId];
  return { last: room?.timeline.events.at(-1)?.event_id, unread: room?.unread_notifications };
}

/** The counts once the user's sync shows `eventId` (counting happens before sync can show an event). */
async function unreadAfter(user: RegisteredUser, roomId: string, eventId: string): Promise<Unread | undefined> {
  return (await until(() => roomView(user, roomId), (v) => v.last === eventId, `${eventId} in ${user.userId}'s sync`)).unread;
}

/** The event's position in its room. */
async function positionOf(eventId: string): Promise<number> {
  return (await eventLocations.key(eventId).get({ consistent: true }))!.position!;
}

/** Until the room's tally has counted the event (its tally write and exceptions are one transaction). */
async function tallied(roomId: string, eventId: string): Promise<number> {
  const position = await positionOf(eventId);
  await until(() => tallyPath(roomId).get({ consistent: true }), (t) => (t?.position ?? 0) >= position, `${eventId} tallied`);
  return position;
}

/** The members whose notificationCounts item the event's record wrote (their position is its position). */
async function writtenAt(roomId: string, members: readonly RegisteredUser[], position: number): Promise<string[]> {
  const items = await Promise.all(members.map((m) => countsPath(m.userId, roomId).get({ consistent: true })));
  return members.filter((_, i) => items[i]?.position === position).map((m) => m.userId).sort();
}

async function message(user: RegisteredUser, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await send(user.client, roomId, { msgtype: 'm.text', body, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

async function receipt(user: RegisteredUser, roomId: string, eventId: string, type = 'm.read', body: Record<string, unknown> = {}) {
  const res = await user.client.post(`${v3}/rooms/${u(roomId)}/receipt/${type}/${u(eventId)}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Every record of the rooms depot, by shard, as Kinesis holds them. */
async function roomsRecords(): Promise<{ shardId: string; records: _Record[] }[]> {
  const kinesis = kinesisClient();
  const StreamName = depotStreamName('rooms');
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName }));
  const out: { shardId: string; records: _Record[] }[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    const records: _Record[] = [];
    let iterator = ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(page.Records ?? []));
      if (!page.Records?.length && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
    out.push({ shardId: shard.ShardId!, records });
  }
  return out;
}

/** Deliver again, to the rooms topology's handler, the record that produced `eventId`. */
async function redeliver(eventId: string): Promise<void> {
  const location = await eventLocations.key(eventId).get({ consistent: true });
  const entry = await roomTimeline.key(location!.roomId!).key(location!.position! - 1).get({ consistent: true });
  for (const { shardId, records } of await roomsRecords()) {
    const record = records.find((r) => sequencePosition(r.SequenceNumber!) === entry!.seq);
    if (!record) continue;
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${depotStreamName('rooms')}`;
    const result = await roomsTopology(kinesisEvent([record], { shardId, streamArn }), invocationContext('roomsTopology'));
    expect(result).toEqual({ batchItemFailures: [] });
    return;
  }
  throw new Error(`no rooms record for ${eventId}`);
}

describe('notification counts', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('notifications');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${u(roomId)}`, {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  it('counts messages, highlights mentions, ignores own events and clears on a read receipt', async () => {
    await message(alice, roomId, 'one');
    await message(alice, roomId, 'two');
    const third = await message(alice, roomId, 'three');
    expect(await unreadAfter(bob, roomId, third)).toEqual({ notification_count: 3, highlight_count: 0 });
    // Alice's own messages never count for her.
    expect(await unreadAfter(alice, roomId, third)).toEqual({ notification_count: 0, highlight_count: 0 });

    const mention = await message(alice, roomId, 'hey bob', { 'm.mentions': { user_ids: [bob.userId] } });
    expect(await unreadAfter(bob, roomId, mention)).toEqual({ notification_count: 4, highlight_count: 1 });

    const own = await message(bob, roomId, 'my own words');
    expect(await unreadAfter(bob, roomId, own)).toEqual({ notification_count: 4, highlight_count: 1 });

    // The receipt is folded before the POST answers.
    await receipt(bob, roomId, own);
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('a receipt on an older event leaves the notifying events after it counted; a thread receipt clears nothing', async () => {
    const first = await message(alice, roomId, 'first');
    const second = await message(alice, roomId, 'second', { 'm.mentions': { user_ids: [bob.userId] } });
    const third = await message(alice, roomId, 'third');
    expect(await unreadAfter(bob, roomId, third)).toEqual({ notification_count: 3, highlight_count: 1 });

    await receipt(bob, roomId, first);
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 2, highlight_count: 1 });
    await receipt(bob, roomId, third, 'm.read', { thread_id: '$some-thread' });
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 2, highlight_count: 1 });
    await receipt(bob, roomId, second, 'm.read.private');
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 1, highlight_count: 0 });
    // A receipt behind the one already folded changes nothing.
    await receipt(bob, roomId, first, 'm.read.private');
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 1, highlight_count: 0 });
    await receipt(bob, roomId, third);
    expect((await roomView(bob, roomId)).unread).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('a room muted by a room rule or an override rule counts nothing, mentions included under the override', async () => {
    const muted = await createRoom(alice.client, { preset: 'public_chat' });
    const silenced = await createRoom(alice.client, { preset: 'public_chat' });
    for (const id of [muted, silenced]) expect((await bob.client.post(`${v3}/join/${u(id)}`, {})).status).toBe(200);
    expect((await bob.client.put(`${v3}/pushrules/global/room/${u(muted)}`, { actions: [] })).status).toBe(200);
    const override = { actions: ['dont_notify'], conditions: [{ kind: 'event_match', key: 'room_id', pattern: silenced }] };
    expect((await bob.client.put(`${v3}/pushrules/global/override/${u(silenced)}`, override)).status).toBe(200);

    const inMuted = await message(alice, muted, 'nobody hears this');
    expect(await unreadAfter(bob, muted, inMuted)).toEqual({ notification_count: 0, highlight_count: 0 });
    await message(alice, silenced, 'quiet');
    const mention = await message(alice, silenced, 'bob?', { 'm.mentions': { user_ids: [bob.userId] } });
    expect(await unreadAfter(bob, silenced, mention)).toEqual({ notification_count: 0, highlight_count: 0 });
    // A room rule ranks below the mention rules: a mention still highlights in the muted room.
    const loud = await message(alice, muted, 'bob!', { 'm.mentions': { user_ids: [bob.userId] } });
    expect(await unreadAfter(bob, muted, loud)).toEqual({ notification_count: 1, highlight_count: 1 });
  });

  it('GET /notifications lists notifying events newest first with actions, read flags and pages', async () => {
    interface Listed { room_id: string; read: boolean; ts: number; actions: unknown[]; event: { event_id: string } }
    interface Page { notifications: Listed[]; next_token?: string }
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
    const m1 = await message(alice, room, 'n1');
    const m2 = await message(alice, room, 'n2', { 'm.mentions': { user_ids: [bob.userId] } });
    const mine = await message(bob, room, 'mine');
    const m3 = await message(alice, room, 'n3');
    await unreadAfter(bob, room, m3);
    const get = async (query = '') => {
      const res = await bob.client.get<Page>(`${v3}/notifications${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const inRoom = (page: Page) => page.notifications.filter((n) => n.room_id === room);

    const all = inRoom(await get('?limit=100'));
    expect(all.map((n) => n.event.event_id).sort()).toEqual([m1, m2, m3].sort());
    expect(all.every((n) => n.read === false && n.actions.includes('notify'))).toBe(true);
    expect(all.map((n) => n.ts)).toEqual([...all.map((n) => n.ts)].sort((a, b) => b - a));
    expect(inRoom(await get('?only=highlight&limit=100')).map((n) => n.event.event_id)).toEqual([m2]);

    await receipt(bob, room, m2);
    const after = inRoom(await get('?limit=100'));
    expect(Object.fromEntries(after.map((n) => [n.event.event_id, n.read]))).toEqual({ [m1]: true, [m2]: true, [m3]: false });

    // One at a time through next_token: the same list, no repeats.
    const everything = (await get('?limit=100')).notifications.map((n) => n.event.event_id);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await get(`?limit=2${token ? `&from=${u(token)}` : ''}`);
      paged.push(...page.notifications.map((n) => n.event.event_id));
      token = page.next_token;
    } while (token);
    expect(paged).toEqual(everything);

    // Each sees only the others' events.
    const alices = (await alice.client.get<Page>(`${v3}/notifications?limit=100`)).body.notifications.filter((n) => n.room_id === room);
    expect(alices.map((n) => n.event.event_id)).toEqual([mine]);
    expectError(await bob.client.get(`${v3}/notifications?from=garbage`), 400, 'M_INVALID_PARAM');
    expectError(await bob.client.get(`${v3}/notifications?limit=lots`), 400, 'M_INVALID_PARAM');
    expectError(await new TestClient(runtime.httpUrl).get(`${v3}/notifications`), 401, 'M_MISSING_TOKEN');
  });

  describe('in a room of eight default-rule members', () => {
    let members: RegisteredUser[];
    let room: string;
    const unreadOf = async (user: RegisteredUser) => (await roomView(user, room)).unread;
    const allUnread = () => Promise.all(members.map(unreadOf));

    beforeAll(async () => {
      const anonymous = new TestClient(runtime.httpUrl);
      members = [alice, bob, ...(await Promise.all(Array.from({ length: 6 }, () => registerUser(anonymous))))];
      room = await createRoom(alice.client, { preset: 'public_chat' });
      for (const m of members.slice(1)) expect((await m.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
    });

    it('a message writes the tally and the sender\'s item only; everyone else counts it, the sender does not', async () => {
      const before = await allUnread();
      const sender = members[2]!;
      const eventId = await message(sender, room, 'hello all');
      const position = await tallied(room, eventId);
      expect(await writtenAt(room, members, position)).toEqual([sender.userId]);
      expect((await tallyPath(room).get({ consistent: true }))?.position).toBe(position);
      const after = await allUnread();
      members.forEach((m, i) => {
        const rise = m === sender ? 0 : 1;
        expect(after[i], m.userId).toEqual({ notification_count: before[i]!.notification_count + rise, highlight_count: before[i]!.highlight_count });
      });
    });

    it('a mention writes the tally, the sender and the mentioned member, and highlights only that member', async () => {
      const before = await allUnread();
      const [sender, mentioned] = [members[3]!, members[5]!];
      const eventId = await message(sender, room, 'look', { 'm.mentions': { user_ids: [mentioned.userId] } });
      const position = await tallied(room, eventId);
      expect(await writtenAt(room, members, position)).toEqual([sender.userId, mentioned.userId].sort());
      const after = await allUnread();
      members.forEach((m, i) => {
        expect(after[i]!.notification_count - before[i]!.notification_count, m.userId).toBe(m === sender ? 0 : 1);
        expect(after[i]!.highlight_count - before[i]!.highlight_count, m.userId).toBe(m === mentioned ? 1 : 0);
      });
    });

    it('a member who muted the room (override dont_notify on its id) counts nothing; the others still count', async () => {
      const muter = members[6]!;
      await receipt(muter, room, await message(alice, room, 'before the mute'));
      const override = { actions: ['dont_notify'], conditions: [{ kind: 'event_match', key: 'room_id', pattern: room }] };
      expect((await muter.client.put(`${v3}/pushrules/global/override/${u(room)}`, override)).status).toBe(200);
      const before = await unreadOf(bob);
      await message(alice, room, 'one');
      const last = await message(alice, room, 'two');
      const position = await tallied(room, last);
      expect(await unreadOf(muter)).toEqual({ notification_count: 0, highlight_count: 0 });
      expect(await unreadOf(bob)).toEqual({ notification_count: before!.notification_count + 2, highlight_count: before!.highlight_count });
      // The muter is an exception of each message: −1 each, written with the tally.
      expect(await writtenAt(room, members, position)).toEqual([alice.userId, muter.userId].sort());
    });

    it('a receipt in the middle leaves exactly the events after it', async () => {
      const reader = members[4]!;
      const first = await message(alice, room, 'm1');
      const second = await message(members[1]!, room, 'm2', { 'm.mentions': { user_ids: [reader.userId] } });
      await message(alice, room, 'm3');
      const fourth = await message(members[7]!, room, 'm4');
      await tallied(room, fourth);
      await receipt(reader, room, first);
      expect(await unreadOf(reader)).toEqual({ notification_count: 3, highlight_count: 1 });
      await receipt(reader, room, second);
      expect(await unreadOf(reader)).toEqual({ notification_count: 2, highlight_count: 0 });
      const fifth = await message(alice, room, 'm5');
      await tallied(room, fifth);
      expect(await unreadOf(reader)).toEqual({ notification_count: 3, highlight_count: 0 });
    });

    it('a member who joins late starts at 0 and counts what follows', async () => {
      expect((await tallyPath(room).get({ consistent: true }))?.notifications).toBeGreaterThan(0);
      const late = await registerUser(new TestClient(runtime.httpUrl));
      const join = await late.client.post<{ room_id: string }>(`${v3}/join/${u(room)}`, {});
      expect(join.status).toBe(200);
      const joinedAt = await positionOf((await until(() => roomView(late, room), (v) => v.last !== undefined, 'the joiner\'s sync')).last!);
      await until(() => countsPath(late.userId, room).get({ consistent: true }), (c) => (c?.position ?? 0) >= joinedAt, 'the joiner\'s baseline');
      expect(await unreadOf(late)).toEqual({ notification_count: 0, highlight_count: 0 });
      const next = await message(alice, room, 'welcome');
      await tallied(room, next);
      expect(await unreadOf(late)).toEqual({ notification_count: 1, highlight_count: 0 });
    });

    it('a profile change (a join over a join) keeps the member\'s unread; leaving and joining again starts at 0', async () => {
      const member = members[7]!;
      await tallied(room, await message(alice, room, 'unread for everyone'));
      const unread = await unreadOf(member);
      expect(unread!.notification_count).toBeGreaterThan(0);
      const rename = await member.client.put<{ event_id: string }>(`${v3}/rooms/${u(room)}/state/m.room.member/${u(member.userId)}`, { membership: 'join', displayname: 'Renamed' });
      expect(rename.status, JSON.stringify(rename.body)).toBe(200);
      await tallied(room, await message(alice, room, 'after the rename'));
      expect(await unreadOf(member)).toEqual({ notification_count: unread!.notification_count + 1, highlight_count: unread!.highlight_count });

      expect((await member.client.post(`${v3}/rooms/${u(room)}/leave`, {})).status).toBe(200);
      await tallied(room, await message(alice, room, 'while away'));
      expect((await member.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
      const back = await message(alice, room, 'welcome back');
      await tallied(room, back);
      expect(await unreadAfter(member, room, back)).toEqual({ notification_count: 1, highlight_count: 0 });
    });

    it('redelivering a message record changes no count and no stored item', async () => {
      const eventId = await message(members[1]!, room, 'once', { 'm.mentions': { user_ids: [members[2]!.userId] } });
      await tallied(room, eventId);
      const stored = () => Promise.all([tallyPath(room).get({ consistent: true }), ...members.map((m) => countsPath(m.userId, room).get({ consistent: true }))]);
      const [items, unread] = [await stored(), await allUnread()];
      await redeliver(eventId);
      await redeliver(eventId);
      expect(await stored()).toEqual(items);
      expect(await allUnread()).toEqual(unread);
    });
  });

  it('a redacted power levels event counts the next message with the levels it leaves (the room\'s kept push setting is read again)', async () => {
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
    // Only power 100 may notify the whole room; bob has 50.
    const levels = await alice.client.get<Record<string, unknown>>(`${v3}/rooms/${u(room)}/state/m.room.power_levels/`);
    const strict = { ...levels.body, users: { ...(levels.body.users as object), [bob.userId]: 50 }, notifications: { room: 100 } };
    const set = await alice.client.put<{ event_id: string }>(`${v3}/rooms/${u(room)}/state/m.room.power_levels/`, strict);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const everyone = { 'm.mentions': { room: true } };
    const denied = await message(bob, room, 'everyone, look', everyone);
    expect(await unreadAfter(alice, room, denied)).toEqual({ notification_count: 1, highlight_count: 0 });
    // A redaction keeps `users` but not `notifications`: the default (50) lets bob notify the room now.
    const redaction = await alice.client.put(`${v3}/rooms/${u(room)}/redact/${u(set.body.event_id)}/unstrict`, {});
    expect(redaction.status, JSON.stringify(redaction.body)).toBe(200);
    const allowed = await message(bob, room, 'everyone, look again', everyone);
    expect(await unreadAfter(alice, room, allowed)).toEqual({ notification_count: 2, highlight_count: 1 });
  });

  it('a redelivered rooms record does not count again', async () => {
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
    await message(alice, room, 'a');
    const last = await message(alice, room, 'b', { 'm.mentions': { user_ids: [bob.userId] } });
    expect(await unreadAfter(bob, room, last)).toEqual({ notification_count: 2, highlight_count: 1 });

    await redeliver(last);
    await redeliver(last);
    expect((await roomView(bob, room)).unread).toEqual({ notification_count: 2, highlight_count: 1 });

    // The redelivery does evaluate the record: with bob's item gone (his baseline and his
    // mention's exception) he reads as not counted yet, and the redelivered record writes his
    // exception (the highlight) back, once, on an item without a baseline: the tally counts both
    // messages for him again.
    await commit([countsPath(bob.userId, room).remove()]);
    expect((await roomView(bob, room)).unread).toEqual({ notification_count: 0, highlight_count: 0 });
    await redeliver(last);
    await redeliver(last);
    expect((await roomView(bob, room)).unread).toEqual({ notification_count: 2, highlight_count: 1 });
  });
});
