// A server admin deleting a room (Synapse's DELETE /_synapse/admin/v2/rooms/{roomId}), in the rooms
// topology, in the room's order, as three kinds of records:
//  1. `deleteRoom`: the task recorded (active), the room blocked if asked, its local members with
//     a membership to end (join, invite, knock) listed;
//  2. after that commit, the topology appends each listed member's leave and forget (as Synapse:
//     the user leaves, then forgets) and `finishRoomDeletion` — each with a request id derived from
//     the task, so a redelivered first record appends them again but each applies once (applyOnce);
//  3. `finishRoomDeletion`, after the leaves in the room's order: who is still in (failed to kick),
//     the local aliases and the directory listing removed, the purge, the task complete (or failed).
//
// A purge marks the room (roomInfo.purged) instead of deleting its items: the room's items are
// spread over a dozen PStates, some keyed by event id or user (events, transaction ids, membership
// histories, notification counts, relations, search), and a half-done deletion would leave reads
// that find an event's location but not the event (500s). The mark is one item, exactly once, and
// the two doors every room read and write passes (viewRoom, loadRoom) answer for a purged room what
// Synapse answers for a room it no longer has: 403 M_FORBIDDEN to reads, 404 to writes and joins,
// 404 to the admin API. The room leaves the admin room list; a sweep deleting the marked rooms'
// items is left for later (README, Operating Axon).
import type { WriteOp } from '../../core/pstate/index.ts';
import { getMany } from '../../core/pstate/index.ts';
import { appendCommands } from '../commands.ts';
import { aliasRemovals, resolveAlias } from '../directory/aliases.ts';
import { DIRECTORY_KEY } from '../directory/apply.ts';
import { MatrixError } from '../errors.ts';
import { blockedRooms, listBucket, localRooms, publicRooms, roomDeletionIds, roomDeletions, roomInfo, roomLocalAliases, roomMembers, type RoomDeletionTask } from '../pstates.ts';
import type { BlockRoomCommand, DeleteRoomCommand, FinishRoomDeletionCommand, RoomCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import type { CommandOrigin } from './room-writes.ts';

/** Memberships a deletion ends (Synapse: join, invite, knock; a leave or ban stays as it is). */
const ENDED = new Set(['join', 'invite', 'knock']);
/** The content of the message the new room's creator posts (checked for size by the admin's request). */
export const newRoomMessage = (message: string) => ({ msgtype: 'm.text', body: message });

/** The device a new room's message is sent from (it has no session: this only scopes the send's transaction id). */
const SHUTDOWN_DEVICE = 'ROOM_SHUTDOWN';
/** Aliases removed per finishing record (each costs two items of its one transaction); more take another record. */
const ALIASES_PER_RECORD = 32;

/** Whether a room exists here and was not purged. */
async function liveRoom(roomId: string) {
  const info = await roomInfo.key(roomId).get({ consistent: true });
  return info?.version !== undefined && info.purged !== true ? info : undefined;
}

/** The tasks of a room (newest last by id order; callers sort as they need). */
export async function roomDeletionTasks(roomId: string): Promise<[string, RoomDeletionTask][]> {
  const ids = (await roomDeletionIds.key(roomId).entries({ consistent: true })) as string[];
  const tasks = await getMany(ids.map((id) => roomDeletions.key(id)), { consistent: true });
  return ids.flatMap((id, i) => (tasks[i] ? [[id, tasks[i]] as [string, RoomDeletionTask]] : []));
}

const blockWrite = (roomId: string, userId: string, ts: number) => blockedRooms.key(roomId).set({ userId, ts });

export async function planDeleteRoom(command: DeleteRoomCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, deleteId } = command;
  if ((await roomDeletionTasks(roomId)).some(([, t]) => t.status === 'active')) throw new MatrixError(400, 'M_UNKNOWN', `Purge already in progress for ${roomId}`);
  const info = await liveRoom(roomId);
  const ended = info ? (await roomMembers.key(roomId).entries({ limit: 1000, consistent: true })).filter(([, m]) => ENDED.has(m.membership ?? '')) : [];
  const planned = ended.map(([userId]) => userId as string);
  // Synapse moves only the joined members (not the invited or knocking) to the new room.
  const moved = ended.filter(([, m]) => m.membership === 'join').map(([userId]) => userId as string);
  const task: RoomDeletionTask = {
    roomId,
    // An unknown (or already purged) room has nothing to remove: done at once, as Synapse.
    status: info ? 'active' : 'complete',
    requester: command.requester,
    block: command.block,
    purge: command.purge,
    forcePurge: command.forcePurge,
    planned,
    kickedUsers: [],
    failedToKickUsers: [],
    localAliases: [],
    startedTs: origin.arrivedAt,
    ...(info && command.newRoom ? { newRoom: { ...command.newRoom, moved } } : {}),
  };
  const ops: WriteOp[] = [roomDeletions.key(deleteId).set(task), roomDeletionIds.key(roomId).add(deleteId)];
  // Blocking first, even for a room unknown here (Synapse), so no join slips in behind the leaves.
  if (command.block) ops.push(blockWrite(roomId, command.requester, origin.arrivedAt));
  return { ops, value: { roomId }, events: [] };
}

/** The records a started deletion appends (after its commit, again on redelivery: their request ids make each apply once). */
export async function appendDeletionSteps(command: DeleteRoomCommand | FinishRoomDeletionCommand): Promise<void> {
  const { roomId, deleteId } = command;
  const task = await roomDeletions.key(deleteId).get({ consistent: true });
  if (task?.status !== 'active') return;
  const steps: { partitionKey: string; command: RoomCommand; requestId: string }[] = [];
  if (command.kind === 'deleteRoom') {
    const moved = new Set(task.newRoom?.moved);
    for (const userId of task.planned) {
      steps.push(
        { partitionKey: roomId, command: { kind: 'membership', roomId, action: 'leave', sender: userId, target: userId }, requestId: `${deleteId}/leave/${userId}` },
        { partitionKey: roomId, command: { kind: 'forget', roomId, userId }, requestId: `${deleteId}/forget/${userId}` },
      );
      // The new room's records are in its own order: each joined member joins, then its creator's message.
      if (task.newRoom && moved.has(userId)) {
        const newRoomId = task.newRoom.roomId;
        steps.push({ partitionKey: newRoomId, command: { kind: 'membership', roomId: newRoomId, action: 'join', sender: userId, target: userId }, requestId: `${deleteId}/join/${userId}` });
      }
    }
    if (task.newRoom) {
      const { roomId: newRoomId, creator, message } = task.newRoom;
      const content = newRoomMessage(message);
      steps.push({ partitionKey: newRoomId, command: { kind: 'send', roomId: newRoomId, sender: creator, deviceId: SHUTDOWN_DEVICE, type: 'm.room.message', content, txnId: deleteId }, requestId: `${deleteId}/message` });
    }
  }
  // A finishing record that left aliases for another one is told apart by how many remain.
  const remaining = command.kind === 'deleteRoom' ? 'first' : String(await roomLocalAliases.key(roomId).count({ consistent: true }));
  steps.push({ partitionKey: roomId, command: { kind: 'finishRoomDeletion', roomId, deleteId }, requestId: `${deleteId}/finish/${remaining}` });
  await appendCommands('rooms', steps);
}

export async function planFinishRoomDeletion(command: FinishRoomDeletionCommand): Promise<RoomPlan> {
  const { roomId, deleteId } = command;
  const value = { roomId };
  const task = await roomDeletions.key(deleteId).get({ consistent: true });
  if (task?.status !== 'active') return { ops: [], value, events: [] };
  const ops: WriteOp[] = [];

  const aliases = (await roomLocalAliases.key(roomId).range({ limit: ALIASES_PER_RECORD + 1, consistent: true })).entries as string[];
  for (const alias of aliases.slice(0, ALIASES_PER_RECORD)) {
    const entry = await resolveAlias(alias, true);
    ops.push(...(entry?.roomId === roomId ? aliasRemovals(alias, roomId, entry.creator) : [roomLocalAliases.key(roomId).delete(alias)]));
  }
  const listing = publicRooms.key(DIRECTORY_KEY).key(roomId);
  if ((await listing.get({ consistent: true })) !== undefined) ops.push(listing.remove(), roomInfo.key(roomId).field('published').set(false));
  // More aliases than one transaction takes: this record removes some, the next (appended after it) the rest.
  if (aliases.length > ALIASES_PER_RECORD) return { ops, value, events: [] };

  const members = await getMany(task.planned.map((userId) => roomMembers.key(roomId).key(userId)), { consistent: true });
  const failedToKickUsers = task.planned.filter((_, i) => ENDED.has(members[i]?.membership ?? ''));
  const kickedUsers = task.planned.filter((_, i) => !ENDED.has(members[i]?.membership ?? ''));
  const result = { ...task, kickedUsers, failedToKickUsers, status: 'complete' as const };
  if (task.purge) {
    const info = await roomInfo.key(roomId).get({ consistent: true });
    if ((info?.joinedCount ?? 0) > 0 && !task.forcePurge) {
      ops.push(roomDeletions.key(deleteId).set({ ...result, status: 'failed', error: 'Users are still joined to this room' }));
      return { ops, value, events: [] };
    }
    if (info?.version !== undefined) ops.push(roomInfo.key(roomId).field('purged').set(true), localRooms.key(listBucket(roomId)).delete(roomId));
  }
  ops.push(roomDeletions.key(deleteId).set(result));
  return { ops, value, events: [] };
}

/** PUT /v1/rooms/{roomId}/block: any room id, known here or not (Synapse). */
export async function planBlockRoom(command: BlockRoomCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId } = command;
  const blocked = await blockedRooms.key(roomId).get({ consistent: true });
  if (command.block === (blocked !== undefined)) return { ops: [], value: { roomId }, events: [] };
  return { ops: [command.block ? blockWrite(roomId, command.userId, origin.arrivedAt) : blockedRooms.key(roomId).remove()], value: { roomId }, events: [] };
}
