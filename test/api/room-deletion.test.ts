// A room deletion's records redelivered (lib/matrix/rooms/deletion.ts): Kinesis delivers at least
// once, so the first record may come twice at the same time, again after the deletion completed,
// and its appended steps may be appended twice. Each must apply once: one task, one leave per
// member, and a member who came back after the deletion is not made to leave again.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepotRecord } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { appendCommands } from '../../lib/matrix/commands.ts';
import { roomDeletions } from '../../lib/matrix/pstates.ts';
import type { DeleteRoomCommand, RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { roomDeletionTasks } from '../../lib/matrix/rooms/deletion.ts';
import { applyRoomsRecord } from '../../lib/matrix/topologies/rooms.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf, membershipOf, send, timelineOf } from './rooms-support.ts';

const context = { topology: 'rooms', lambda: {} as Context };

describe('room deletion, redelivered', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let carol: RegisteredUser;
  let admin: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('room-deletion');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, carol, admin] = await Promise.all([registerUser(anonymous, uniqueLocalpart('alice')), registerUser(anonymous, uniqueLocalpart('carol')), registerUser(anonymous, uniqueLocalpart('admin'))]);
  });
  afterAll(() => runtime?.stop());

  async function roomWithMembers(): Promise<string> {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await carol.client.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    return roomId;
  }

  /** The first record of a deletion as Kinesis hands it over (its position: the room's newest record's, as a redelivery has). */
  async function deletionRecord(roomId: string, deleteId: string): Promise<DepotRecord<RoomCommand>> {
    const info = (await infoOf(roomId))!;
    const command: DeleteRoomCommand = { kind: 'deleteRoom', roomId, deleteId, requester: admin.userId, block: false, purge: false, forcePurge: false };
    return { payload: command, requestId: `test-${deleteId}`, partitionKey: roomId, shardId: info.shardId!.split('.')[0]!, lane: info.shardId!, sequenceNumber: info.lastSeq!, eventId: `${info.shardId}:${info.lastSeq}`, arrivedAt: Date.now() };
  }

  const leavesOf = async (roomId: string, userId: string) =>
    (await timelineOf(roomId)).filter((e) => e.event.type === 'm.room.member' && e.event.state_key === userId && e.event.content.membership === 'leave').length;

  /** Wait until the room's records appended so far are applied: a send acknowledged after them (one partition, in order). */
  async function settled(roomId: string, client: TestClient): Promise<void> {
    expect((await send(client, roomId, { msgtype: 'm.text', body: 'after' })).status).toBe(200);
  }

  it('a first record delivered twice at once, then again after a member came back, applies once', async () => {
    const roomId = await roomWithMembers();
    const deleteId = uniqueLocalpart('del');
    const record = await deletionRecord(roomId, deleteId);
    const [first, second] = await Promise.all([applyRoomsRecord(record, context), applyRoomsRecord(record, context)]);
    expect(second).toEqual(first);
    await expect.poll(async () => (await roomDeletions.key(deleteId).get({ consistent: true }))?.status, { timeout: 20_000 }).toBe('complete');
    const done = await roomDeletions.key(deleteId).get({ consistent: true });
    expect(done).toMatchObject({ kickedUsers: [alice.userId, carol.userId].sort(), failedToKickUsers: [] });
    expect(await roomDeletionTasks(roomId)).toHaveLength(1);
    expect(await leavesOf(roomId, alice.userId)).toBe(1);
    expect(await leavesOf(roomId, carol.userId)).toBe(1);

    // Not blocked: carol comes back. The first record redelivered now must not make her leave again.
    expect((await carol.client.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    expect(await applyRoomsRecord(record, context)).toEqual(first);
    // And its steps appended again (a redelivery's after-commit work that read the task still active).
    const steps: { partitionKey: string; command: RoomCommand; requestId: string }[] = [
      { partitionKey: roomId, command: { kind: 'membership', roomId, action: 'leave', sender: carol.userId, target: carol.userId }, requestId: `${deleteId}/leave/${carol.userId}` },
      { partitionKey: roomId, command: { kind: 'finishRoomDeletion', roomId, deleteId }, requestId: `${deleteId}/finish/first` },
    ];
    await appendCommands('rooms', steps);
    await settled(roomId, carol.client);
    expect(await membershipOf(roomId, carol.userId)).toBe('join');
    expect(await leavesOf(roomId, carol.userId)).toBe(1);
    expect(await roomDeletions.key(deleteId).get({ consistent: true })).toEqual(done);
    expect(await roomDeletionTasks(roomId)).toHaveLength(1);
  });

  it('the same request appended twice to the depot is one deletion', async () => {
    const roomId = await roomWithMembers();
    const deleteId = uniqueLocalpart('del');
    const command: DeleteRoomCommand = { kind: 'deleteRoom', roomId, deleteId, requester: admin.userId, block: true, purge: true, forcePurge: false };
    const copy = { partitionKey: roomId, command, requestId: `twice-${deleteId}` };
    await appendCommands('rooms', [copy, copy]);
    await expect.poll(async () => (await roomDeletions.key(deleteId).get({ consistent: true }))?.status, { timeout: 20_000 }).toBe('complete');
    expect(await roomDeletions.key(deleteId).get({ consistent: true })).toMatchObject({ kickedUsers: [alice.userId, carol.userId].sort(), failedToKickUsers: [] });
    expect(await roomDeletionTasks(roomId)).toHaveLength(1);
    expect(await leavesOf(roomId, alice.userId)).toBe(1);
    expect(await leavesOf(roomId, carol.userId)).toBe(1);
    expect((await infoOf(roomId))?.purged).toBe(true);
  });
});
