// What a rooms record's commit hands to its after-commit work (lib/matrix/topologies/rooms.ts):
// the lane's watermark committed in the same transaction as the event (a sync right after the
// send's answer finds it, with no separate write), and the appended events in memory (nothing read
// back) — while a redelivery, which commits nothing, says so and leaves both to the follow-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequencePosition, type DepotRecord } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { eventLocations } from '../../lib/matrix/pstates.ts';
import type { RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { prepareRoomWrites } from '../../lib/matrix/rooms/room-writes.ts';
import { commitRoomCommand } from '../../lib/matrix/rooms/topology.ts';
import { readAllWatermarks } from '../../lib/matrix/sync/watermark.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { measureOwnAws } from '../support/aws-requests.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf, timelineOf } from './rooms-support.ts';

describe('committing a rooms record', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('rooms-commit');
    alice = await registerUser(new TestClient(runtime.httpUrl));
  });
  afterAll(() => runtime?.stop());

  /** A send record in the room's lane, at a position past every record the depot holds. */
  async function sendRecord(roomId: string, body: string, sequenceNumber: string): Promise<DepotRecord<RoomCommand>> {
    const lane = (await infoOf(roomId))!.shardId!;
    return {
      payload: { kind: 'send', roomId, sender: alice.userId, deviceId: alice.deviceId, type: 'm.room.message', content: { msgtype: 'm.text', body } },
      requestId: `commit-${roomId}-${sequenceNumber}`,
      partitionKey: roomId,
      shardId: lane.split('.')[0]!,
      lane,
      sequenceNumber,
      eventId: `${lane}:${sequenceNumber}`,
      arrivedAt: Date.now(),
    };
  }

  it('commits the lane watermark with the event and hands the event down; a redelivery commits neither', async () => {
    const roomId = await createRoom(alice.client, {});
    const record = await sendRecord(roomId, 'hello', '9'.repeat(70));
    const first = await commitRoomCommand(record);
    expect(first.watermarked).toBe(true);
    // Nothing but the commit ran: the watermark is already at the record.
    expect((await readAllWatermarks()).rooms[record.lane]).toBe(sequencePosition(record.sequenceNumber));
    const timeline = await timelineOf(roomId);
    const last = timeline.at(-1)!;
    expect(last.event.event_id).toBe(first.result.eventId);
    expect(first.events).toEqual([last.event]);

    const again = await commitRoomCommand(record);
    expect(again).toEqual({ result: first.result, watermarked: false });
    expect(await timelineOf(roomId)).toHaveLength(timeline.length);
  });

  it("a message's commit is one read and one transaction: the room, its transaction id and what preparing the writes needs are read together", async () => {
    const roomId = await createRoom(alice.client, {});
    const record = await sendRecord(roomId, 'cheap', '8'.repeat(70));
    (record.payload as { txnId?: string }).txnId = 'cheap-txn';
    const { result: first, requests: cost } = await measureOwnAws(() => commitRoomCommand(record));
    expect(first.watermarked).toBe(true);
    expect(cost).toEqual({ 'DynamoDB.BatchGetItem': 1, 'DynamoDB.TransactWriteItems': 1 });
    // The same transaction id again (another record: a client's retry appended twice) answers the
    // first event from that one read, and appends nothing.
    const retry = await sendRecord(roomId, 'cheap', '8'.repeat(69) + '9');
    (retry.payload as { txnId?: string }).txnId = 'cheap-txn';
    const length = (await timelineOf(roomId)).length;
    const { result: second, requests: retryCost } = await measureOwnAws(() => commitRoomCommand({ ...retry, requestId: `${retry.requestId}-retry` }));
    expect(second.result.eventId).toBe(first.result.eventId);
    expect(retryCost).toEqual({ 'DynamoDB.BatchGetItem': 1, 'DynamoDB.TransactWriteItems': 1 });
    expect(await timelineOf(roomId)).toHaveLength(length);
  });

  it('a first attempt leaves conditions to DynamoDB; the retry reads them and refuses what is already written', async () => {
    const roomId = await createRoom(alice.client, {});
    const taken = (await timelineOf(roomId)).at(-1)!.event.event_id;
    const ops = [eventLocations.key(taken).set({ roomId, position: 1 }, { ifAbsent: true })];
    const cheap = await prepareRoomWrites(ops, { firstAttempt: true });
    expect(cheap).toHaveLength(1);
    expect(JSON.stringify(cheap[0])).toContain('attribute_not_exists');
    await expect(prepareRoomWrites(ops)).rejects.toMatchObject({ status: 409 } satisfies Partial<MatrixError>);
  });
});
