// Synapse's Delete Room and Block Room admin APIs (docs/admin_api/rooms.md): the checks Synapse
// makes, in its words and errcodes, then a command on the rooms depot, applied in the room's order
// by the rooms topology (lib/matrix/rooms/deletion.ts). The delete answers once its task is
// recorded (the task id, `delete_id`); the members' leaves and the purge follow as records of
// their own, and the status endpoints read the task.
import { checkContentSize, createRoomCommand, profileOf, submitRoomCommand } from '../rooms/operations.ts';
import { planCreateRoom } from '../create-room.ts';
import { badJson, MatrixError, notFound } from '../errors.ts';
import { jsonObject } from './requests.ts';
import { generateRoomId, isLocalUser, isValidRoomId, isValidUserId, randomLetters } from '../ids.ts';
import { blockedRooms, roomDeletions, roomInfo, users, type RoomDeletionTask } from '../pstates.ts';
import { newRoomMessage, roomDeletionTasks } from '../rooms/deletion.ts';

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
  const roomName = optionalString(body, 'room_name') || DEFAULT_ROOM_NAME;
  const message = optionalString(body, 'message') || DEFAULT_MESSAGE;
  const deleteId = randomLetters(16);
  let newRoom: { roomId: string; creator: string; message: string } | undefined;
  if (newRoomUserId !== null) {
    if (typeof newRoomUserId !== 'string' || !isValidUserId(newRoomUserId) || !isLocalUser(newRoomUserId)) throw new MatrixError(400, 'M_UNKNOWN', `User must be our own: ${String(newRoomUserId)}`);
    if ((await users.key(newRoomUserId).field('createdTs').get({ consistent: true })) === undefined) throw notFound(`Unknown user ${newRoomUserId}`);
    // The message is sent after the members move: an event too large to send is refused now, before anything is made.
    checkContentSize(newRoomMessage(message));
    // Synapse makes the new room only for a room it has (and a deletion that is not already running).
    const info = await roomInfo.key(roomId).get({ consistent: true });
    if (info?.version !== undefined && info.purged !== true && !(await roomDeletionTasks(roomId)).some(([, t]) => t.status === 'active')) {
      newRoom = { roomId: await createRoomAs(newRoomUserId, roomName), creator: newRoomUserId, message };
    }
  }
  await submitRoomCommand({ kind: 'deleteRoom', roomId, deleteId, requester, block, purge, forcePurge, ...(newRoom ? { newRoom } : {}) });
  return { delete_id: deleteId };
}

/** Synapse's RoomShutdownHandler defaults. */
const DEFAULT_ROOM_NAME = 'Content Violation Notification';
const DEFAULT_MESSAGE = 'Sharing illegal content on this server is not permitted and rooms in violation will be blocked.';

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name] ?? undefined;
  if (value !== undefined && typeof value !== 'string') throw badJson(`Param '${name}' must be a string, if given`);
  return value;
}

/**
 * The room the members of a deleted room are moved to, made by `creator` as Synapse makes it:
 * public, named, where members cannot write (users_default -10).
 */
async function createRoomAs(creator: string, name: string): Promise<string> {
  const profile = await profileOf(creator);
  const plan = planCreateRoom(
    { preset: 'public_chat', name, power_level_content_override: { users_default: -10 } },
    { roomId: generateRoomId(), now: Date.now(), creator, ...(profile ? { profile } : {}) },
  );
  await submitRoomCommand(createRoomCommand(plan, creator));
  return plan.roomId;
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
      new_room_id: task.newRoom?.roomId ?? null,
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
