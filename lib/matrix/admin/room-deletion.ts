// Synapse's Delete Room and Block Room admin APIs (docs/admin_api/rooms.md): the checks Synapse
// makes, in its words and errcodes, then a command on the rooms depot, applied in the room's order
// by the rooms topology (lib/matrix/rooms/deletion.ts). The delete answers once its task is
// recorded (the task id, `delete_id`); the members' leaves and the purge follow as records of
// their own, and the status endpoints read the task.
import { submitRoomCommand } from '../rooms/operations.ts';
import { badJson, MatrixError, notFound } from '../errors.ts';
import { jsonObject } from './requests.ts';
import { isLocalUser, isValidRoomId, isValidUserId, randomLetters } from '../ids.ts';
import { blockedRooms, roomDeletions, type RoomDeletionTask } from '../pstates.ts';
import { roomDeletionTasks } from '../rooms/deletion.ts';

/** Synapse: 400 M_UNKNOWN "... is not a legal room ID". */
function legalRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw new MatrixError(400, 'M_UNKNOWN', `${roomId} is not a legal room ID`);
  return roomId;
}

function optionalBoolean(body: Record<string, unknown>, name: string, fallback: boolean, message = `Param '${name}' must be a boolean, if given`): boolean {
  const value = body[name] ?? fallback;
  if (typeof value !== 'boolean') throw badJson(message);
  return value;
}

/** DELETE /v2/rooms/{roomId}: block, purge, force_purge; answers the task's id once it is recorded. */
export async function deleteRoom(requester: string, roomId: string, rawBody: unknown): Promise<{ delete_id: string }> {
  const body = jsonObject(rawBody);
  const block = optionalBoolean(body, 'block', false);
  const purge = optionalBoolean(body, 'purge', true);
  const forcePurge = optionalBoolean(body, 'force_purge', false);
  legalRoomId(roomId);
  const newRoomUserId = body.new_room_user_id ?? null;
  if (newRoomUserId !== null) {
    if (typeof newRoomUserId !== 'string' || !isValidUserId(newRoomUserId) || !isLocalUser(newRoomUserId)) throw new MatrixError(400, 'M_UNKNOWN', `User must be our own: ${String(newRoomUserId)}`);
    // Moving the members to a new room is not built: refused rather than silently not done.
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Axon does not move members to a new room (new_room_user_id)');
  }
  const deleteId = randomLetters(16);
  await submitRoomCommand({ kind: 'deleteRoom', roomId, deleteId, requester, block, purge, forcePurge });
  return { delete_id: deleteId };
}

/** A task as the status endpoints answer it (kicked users once known: at the end). */
function statusOf(deleteId: string, task: RoomDeletionTask) {
  return {
    delete_id: deleteId,
    room_id: task.roomId,
    status: task.status,
    ...(task.error !== undefined ? { error: task.error } : {}),
    shutdown_room: {
      kicked_users: task.kickedUsers,
      failed_to_kick_users: task.failedToKickUsers,
      local_aliases: task.localAliases,
      new_room_id: null,
    },
  };
}

/** GET /v2/rooms/{roomId}/delete_status: every task of the room, oldest first. */
export async function deleteStatusByRoom(roomId: string) {
  legalRoomId(roomId);
  const tasks = await roomDeletionTasks(roomId);
  if (tasks.length === 0) throw notFound(`No delete task for room_id '${roomId}' found`);
  tasks.sort(([, a], [, b]) => a.startedTs - b.startedTs);
  return { results: tasks.map(([id, task]) => statusOf(id, task)) };
}

/** GET /v2/rooms/delete_status/{deleteId}. */
export async function deleteStatus(deleteId: string) {
  const task = await roomDeletions.key(deleteId).get({ consistent: true });
  if (!task) throw notFound(`delete id '${deleteId}' not found`);
  return statusOf(deleteId, task);
}

/** GET /v1/rooms/{roomId}/block. */
export async function roomBlockStatus(roomId: string) {
  legalRoomId(roomId);
  const blocked = await blockedRooms.key(roomId).get({ consistent: true });
  return blocked?.userId !== undefined ? { block: true, user_id: blocked.userId } : { block: false };
}

/** PUT /v1/rooms/{roomId}/block: any room id, known here or not. */
export async function setRoomBlock(requester: string, roomId: string, rawBody: unknown) {
  const body = jsonObject(rawBody);
  legalRoomId(roomId);
  if (!('block' in body)) throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing params: [\'block\']');
  const block = optionalBoolean(body, 'block', false, "Param 'block' must be a boolean.");
  await submitRoomCommand({ kind: 'blockRoom', roomId, userId: requester, block });
  return { block };
}
