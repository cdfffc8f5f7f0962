// Sending into rooms through the local runtime: messages with idempotent transaction ids, state
// with power levels, redactions per room version, the 64 KB limit, redelivery of depot records
// and concurrent senders.
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { listShards, readShard } from '../../lib/core/replay.ts';
import { applyKey } from '../../lib/core/topology/apply-once.ts';
import { invocationContext, kinesisEvent, sequencePosition, type DepotRecord } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { planCreateRoom } from '../../lib/matrix/create-room.ts';
import { eventLocations, transactionIds } from '../../lib/matrix/pstates.ts';
import type { CreateRoomCommand, RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { applyRoomPart, planRoomParts } from '../../lib/matrix/rooms/create-room.ts';
import { sendTransactionKey } from '../../lib/matrix/rooms/send.ts';
import { applyRoomCommand } from '../../lib/matrix/rooms/topology.ts';
import { generateRoomId } from '../../lib/matrix/ids.ts';
import { handler as roomsTopologyHandler } from '../../functions/streams/rooms.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf, path, send, stateEvent, timelineOf } from './rooms-support.ts';

describe('sending into rooms', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('send');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  async function publicRoom(version = '11'): Promise<string> {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', room_version: version });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    return roomId;
  }

  it('sends a message once per transaction id', async () => {
    const roomId = await publicRoom();
    const first = await send(bob.client, roomId, { msgtype: 'm.text', body: 'hello' }, 'txn-1');
    expect(first.status).toBe(200);
    const eventId = first.body.event_id;
    expect(eventId).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const count = (await timelineOf(roomId)).length;
    const again = await send(bob.client, roomId, { msgtype: 'm.text', body: 'hello' }, 'txn-1');
    expect(again.body.event_id).toBe(eventId);
    expect((await timelineOf(roomId)).length).toBe(count);

    const stored = (await timelineOf(roomId)).at(-1)!.event;
    expect(stored).toMatchObject({ event_id: eventId, sender: bob.userId, type: 'm.room.message', content: { body: 'hello' }, depth: count });
    expect(stored.unsigned?.transaction).toEqual({ device_id: bob.deviceId, txn_id: 'txn-1' });
    expect(await transactionIds.key(sendTransactionKey(bob.userId, bob.deviceId, roomId, 'txn-1')).get()).toEqual({ eventId, roomId });
    expect(await eventLocations.key(eventId).get()).toEqual({ roomId, position: count });

    // another device (a new login) with the same txn id sends a new event
    const other = await send(alice.client, roomId, { body: 'hello' }, 'txn-1');
    expect(other.body.event_id).not.toBe(eventId);

    // the same device's txn id in another room is another event (Complement's TestTxnIdempotency)
    const elsewhere = await publicRoom();
    const there = await send(bob.client, elsewhere, { msgtype: 'm.text', body: 'hello' }, 'txn-1');
    expect(there.status).toBe(200);
    expect(there.body.event_id).not.toBe(eventId);
    expect((await timelineOf(elsewhere)).at(-1)!.event.event_id).toBe(there.body.event_id);
    // and /redact's scope is the room too
    const redactions = await Promise.all([roomId, elsewhere].map((room, i) => bob.client.put<{ event_id: string }>(path.room(room, `redact/${encodeURIComponent(i === 0 ? eventId : there.body.event_id)}/r-1`), {})));
    expect(redactions.map((r) => r.status)).toEqual([200, 200]);
    expect(redactions[0]!.body.event_id).not.toBe(redactions[1]!.body.event_id);
  });

  it('finds a transaction recorded before its key named the room', async () => {
    const roomId = await publicRoom();
    const first = await send(bob.client, roomId, { body: 'before' }, 'txn-legacy');
    // a record as sends wrote it before: no room in the key, the room in the value
    await commit([transactionIds.key(`${bob.userId}\u0000${bob.deviceId}\u0000txn-old`).set({ eventId: first.body.event_id, roomId })]);
    const count = (await timelineOf(roomId)).length;
    expect((await send(bob.client, roomId, { body: 'retried' }, 'txn-old')).body.event_id).toBe(first.body.event_id);
    expect((await timelineOf(roomId)).length).toBe(count);
    // in another room it is another transaction
    const other = await publicRoom();
    expect((await send(bob.client, other, { body: 'elsewhere' }, 'txn-old')).body.event_id).not.toBe(first.body.event_id);
  });

  it('refuses non-members, unknown rooms, bad bodies and events over 64 KB, writing nothing', async () => {
    const roomId = await publicRoom();
    const count = (await timelineOf(roomId)).length;
    expectError(await send(carol.client, roomId, { body: 'let me in' }), 403, 'M_FORBIDDEN');
    expectError(await send(bob.client, '!unknown:localhost', { body: 'x' }), 404, 'M_NOT_FOUND');
    expectError(await bob.client.put(path.room(roomId, 'send/m.room.message/t1'), undefined, { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'M_BAD_JSON');
    expectError(await bob.client.put(path.room(roomId, 'send/m.room.message/t2'), undefined, { rawBody: 'nope', headers: { 'content-type': 'application/json' } }), 400, 'M_NOT_JSON');
    expectError(await bob.client.put(path.room(roomId, 'send/m.room.message/t3'), { x: 1.5 }), 400, 'M_BAD_JSON');
    expectError(await send(bob.client, roomId, { body: 'x'.repeat(66_000) }), 413, 'M_TOO_LARGE');
    // near the limit the event envelope decides (checked in the topology)
    expectError(await send(bob.client, roomId, { body: 'x'.repeat(65_400) }), 413, 'M_TOO_LARGE');
    expectError(await send(new TestClient(runtime.httpUrl, 'bogus'), roomId, { body: 'x' }), 401, 'M_UNKNOWN_TOKEN');
    expectError(await bob.client.put(path.room(roomId, `send/${'t'.repeat(256)}/t4`), { body: 'x' }), 400, 'M_BAD_JSON');
    expectError(await send(bob.client, roomId, { body: 'x' }, 'x'.repeat(300)), 400, 'M_INVALID_PARAM');
    expect((await timelineOf(roomId)).length).toBe(count);
    expect((await send(bob.client, roomId, { body: 'x'.repeat(60_000) })).status).toBe(200);
  });

  it('sets state with the power it needs; prev_content is kept', async () => {
    const roomId = await publicRoom();
    const named = await alice.client.put<{ event_id: string }>(path.room(roomId, 'state/m.room.name'), { name: 'One' });
    expect(named.status).toBe(200);
    // matrix-js-sdk writes the empty state key as a trailing slash
    const renamed = await alice.client.put<{ event_id: string }>(path.room(roomId, 'state/m.room.name/'), { name: 'Two' });
    expect(renamed.status).toBe(200);
    const name = await stateEvent(roomId, 'm.room.name');
    expect(name).toMatchObject({ event_id: renamed.body.event_id, content: { name: 'Two' } });
    expect(name?.unsigned).toMatchObject({ prev_content: { name: 'One' }, replaces_state: named.body.event_id });
    // the same state again from the same sender is the current event, nothing written (Synapse)
    const before = (await timelineOf(roomId)).length;
    const repeated = await alice.client.put<{ event_id: string }>(path.room(roomId, 'state/m.room.name'), { name: 'Two' });
    expect(repeated.status).toBe(200);
    expect(repeated.body.event_id).toBe(renamed.body.event_id);
    expect((await timelineOf(roomId)).length).toBe(before);

    const count = (await timelineOf(roomId)).length;
    // bob has 0 < state_default 50
    expectError(await bob.client.put(path.room(roomId, 'state/m.room.topic'), { topic: 'mine' }), 403, 'M_FORBIDDEN');
    // state keyed by another user id belongs to that user
    expectError(await alice.client.put(path.room(roomId, `state/org.example.pref/${encodeURIComponent(bob.userId)}`), { a: 1 }), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(count);

    // raise bob, then he may
    const levels = (await stateEvent(roomId, 'm.room.power_levels'))!.content;
    const raised = await alice.client.put(path.room(roomId, 'state/m.room.power_levels'), { ...levels, users: { ...(levels.users as object), [bob.userId]: 50 } });
    expect(raised.status).toBe(200);
    const keyed = await bob.client.put<{ event_id: string }>(path.room(roomId, `state/org.example.pref/${encodeURIComponent(bob.userId)}`), { a: 1 });
    expect(keyed.status).toBe(200);
    // another sender's same content is a new event; a repeat by someone without the power is still refused
    const bobsName = await bob.client.put<{ event_id: string }>(path.room(roomId, 'state/m.room.name'), { name: 'Two' });
    expect(bobsName.status).toBe(200);
    expect(bobsName.body.event_id).not.toBe(renamed.body.event_id);
    expect((await alice.client.put(path.room(roomId, 'state/m.room.power_levels'), levels)).status).toBe(200);
    expectError(await bob.client.put(path.room(roomId, 'state/m.room.name'), { name: 'Two' }), 403, 'M_FORBIDDEN');
    expect((await stateEvent(roomId, 'org.example.pref', bob.userId))?.event_id).toBe(keyed.body.event_id);
    // a state key holding a slash
    expect((await alice.client.put(path.room(roomId, `state/org.example.path/${encodeURIComponent('a/b')}`), { x: 1 })).status).toBe(200);
    expect((await stateEvent(roomId, 'org.example.path', 'a/b'))?.content).toEqual({ x: 1 });
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.name'), undefined, { rawBody: '"x"', headers: { 'content-type': 'application/json' } }), 400, 'M_BAD_JSON');
  });

  it.each(['10', '11'])('redacts in a v%s room: content stripped in storage, own events or with power', async (version) => {
    const roomId = await publicRoom(version);
    const mine = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'oops' })).body.event_id;
    const alices = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'keep' })).body.event_id;

    const count = (await timelineOf(roomId)).length;
    expectError(await bob.client.put(path.room(roomId, `redact/${encodeURIComponent(alices)}/r0-${version}`), {}), 403, 'M_FORBIDDEN');
    expectError(await bob.client.put(path.room(roomId, `redact/${encodeURIComponent('$unknownunknownunknownunknownunknownunknow1')}/r1-${version}`), {}), 404, 'M_NOT_FOUND');
    expect((await timelineOf(roomId)).length).toBe(count);

    const redaction = await bob.client.put<{ event_id: string }>(path.room(roomId, `redact/${encodeURIComponent(mine)}/r2-${version}`), { reason: 'typo' });
    expect(redaction.status).toBe(200);
    const again = await bob.client.put<{ event_id: string }>(path.room(roomId, `redact/${encodeURIComponent(mine)}/r2-${version}`), { reason: 'typo' });
    expect(again.body.event_id).toBe(redaction.body.event_id);

    const timeline = await timelineOf(roomId);
    expect(timeline).toHaveLength(count + 1);
    const redacted = timeline.find((e) => e.event.event_id === mine)!.event;
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned?.redacted_because).toMatchObject({ event_id: redaction.body.event_id, sender: bob.userId, type: 'm.room.redaction' });
    const event = timeline.at(-1)!.event;
    expect(event).toMatchObject({ type: 'm.room.redaction', content: { reason: 'typo' } });
    if (version === '11') expect(event.content.redacts).toBe(mine);
    else expect(event.redacts).toBe(mine);

    // the room's creator has the redact level: a state event in force is redacted in state too
    const topic = (await alice.client.put<{ event_id: string }>(path.room(roomId, 'state/m.room.topic'), { topic: 'secret' })).body.event_id;
    expect((await alice.client.put(path.room(roomId, `redact/${encodeURIComponent(topic)}/r3-${version}`), {})).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.topic'))?.content).toEqual({});
    expect((await alice.client.put(path.room(roomId, `redact/${encodeURIComponent(alices)}/r4-${version}`), {})).status).toBe(200);
    // join rules keep join_rule when redacted
    const rules = (await stateEvent(roomId, 'm.room.join_rules'))!.event_id;
    expect((await alice.client.put(path.room(roomId, `redact/${encodeURIComponent(rules)}/r5-${version}`), {})).status).toBe(200);
    expect((await stateEvent(roomId, 'm.room.join_rules'))?.content).toEqual({ join_rule: 'public' });
  });

  it('several clients sending into one room at once get dense, distinct positions', async () => {
    const roomId = await publicRoom();
    expect((await carol.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const start = (await infoOf(roomId))!.lastPosition!;
    const senders = [alice, bob, carol];
    const results = await Promise.all(
      senders.flatMap((u, s) => Array.from({ length: 8 }, (_, i) => send(u.client, roomId, { body: `${s}-${i}` }, `c${s}-${i}`))),
    );
    for (const r of results) expect(r.status).toBe(200);
    const ids = results.map((r) => r.body.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    const timeline = await timelineOf(roomId);
    expect(timeline).toHaveLength(start + ids.length);
    expect(timeline.map((e) => e.event.depth)).toEqual(timeline.map((_, i) => i + 1));
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.event.prev_events).toEqual([timeline[i - 1]!.event.event_id]);
    const positions = await Promise.all(ids.map(async (id) => (await eventLocations.key(id).get())!.position));
    expect(new Set(positions).size).toBe(ids.length);
    expect((await infoOf(roomId))!.lastPosition).toBe(start + ids.length);
  });

  it('a redelivered rooms-depot record changes nothing', async () => {
    const roomId = await publicRoom();
    const txnId = `redeliver-${Date.now()}`;
    const sent = await send(bob.client, roomId, { body: 'once' }, txnId);
    const stream = depotStreamName('rooms');
    const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    const streamArn = StreamDescriptionSummary!.StreamARN!;
    let event;
    for (const shard of await listShards(stream)) {
      for await (const batch of readShard(stream, shard.ShardId!, 1000)) {
        const record = batch.find((r) => {
          const envelope = JSON.parse(Buffer.from(r.Data!).toString('utf8')) as { payload?: { txnId?: string } };
          return envelope.payload?.txnId === txnId;
        });
        if (record) event = kinesisEvent([record], { shardId: shard.ShardId!, streamArn });
      }
    }
    expect(event).toBeDefined();
    const before = await timelineOf(roomId);
    for (let i = 0; i < 2; i++) {
      const result = await roomsTopologyHandler(event!, invocationContext('roomsTopology'));
      expect(result.batchItemFailures).toEqual([]);
    }
    const after = await timelineOf(roomId);
    expect(after).toEqual(before);
    expect(after.filter((e) => e.event.event_id === sent.body.event_id)).toHaveLength(1);
  });

  it('a createRoom that crashed between its parts is finished by the redelivery, positions 1..n', async () => {
    const roomId = generateRoomId();
    const initial_state = Array.from({ length: 30 }, (_, i) => ({ type: 'org.example.bulk', state_key: `k${i}`, content: { i } }));
    const plan = planCreateRoom({ initial_state }, { roomId, creator: alice.userId });
    const command: CreateRoomCommand = { kind: 'createRoom', roomId, creator: alice.userId, roomVersion: plan.roomVersion, visibility: 'private', events: plan.events };
    const record: DepotRecord<RoomCommand> = {
      payload: command,
      requestId: `crash-${roomId}`,
      partitionKey: roomId,
      shardId: 'shardId-000000000000',
      lane: 'shardId-000000000000',
      sequenceNumber: '49650000000000000000000000000000000000000000000000000001',
      eventId: 'shardId-000000000000:49650000000000000000000000000000000000000000000000000001',
      arrivedAt: 1_700_000_000_000,
    };
    const origin = { seq: sequencePosition(record.sequenceNumber), lane: record.lane, arrivedAt: record.arrivedAt };
    const parts = planRoomParts(command, origin);
    expect(parts.length).toBeGreaterThan(1);
    // the first delivery commits part 0 only, then "crashes"
    await applyRoomPart(record as DepotRecord<CreateRoomCommand>, 'rooms', origin, parts, 0);
    expect((await timelineOf(roomId)).length).toBeLessThan(plan.events.length);
    expect(applyKey(record)).toBe(`crash-${roomId}`);
    // the redelivery applies everything, and a third delivery nothing more
    await applyRoomCommand(record);
    await applyRoomCommand(record);
    const timeline = await timelineOf(roomId);
    expect(timeline.map((e) => e.event.type)).toEqual(plan.events.map((e) => e.type));
    expect(timeline.map((e) => e.event.depth)).toEqual(timeline.map((_, i) => i + 1));
    expect(await infoOf(roomId)).toMatchObject({ lastPosition: plan.events.length, joinedCount: 1, lastEventId: timeline.at(-1)!.event.event_id });
  });
});
