// Server-side key backup: versions (POST/GET /room_keys/version, GET/PUT/DELETE
// /room_keys/version/{version}) and the session keys in them (PUT/GET/DELETE /room_keys/keys,
// /room_keys/keys/{roomId}, /room_keys/keys/{roomId}/{sessionId}, all with `?version=`).
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { invalidParam, missingParam } from '../../lib/matrix/errors.ts';
import { readBackupKeys, readBackupSession, readBackupVersion } from '../../lib/matrix/keys/backup.ts';
import { deleteBackupKeys, deleteBackupVersion, putBackupKeys, updateBackupVersion, type BackedUpSession } from '../../lib/matrix/keys/backup-submit.ts';
import type { KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { identifier, parseRequestBody } from '../../lib/matrix/request-schemas.ts';

const jsonObject = z.record(z.string(), z.unknown());
const createBody = z.object({ algorithm: z.string().min(1), auth_data: jsonObject });
const updateBody = z.object({ algorithm: z.string().min(1), auth_data: jsonObject, version: z.string().optional() });

/** KeyBackupData (spec definitions/key_backup_data.yaml), kept as sent. */
const keyBackupData = z.looseObject({
  first_message_index: z.number().int().min(0),
  forwarded_count: z.number().int().min(0),
  is_verified: z.boolean(),
  session_data: jsonObject,
});
const roomSessions = z.object({ sessions: z.record(identifier, keyBackupData) });
const allRooms = z.object({ rooms: z.record(identifier, roomSessions) });

function versionParam(request: HttpRequest): string {
  const version = request.query.get('version');
  if (version === null) throw missingParam('version is required');
  return version;
}

const sessionsOf = (roomId: string, sessions: Record<string, Record<string, unknown>>): BackedUpSession[] =>
  Object.entries(sessions).map(([sessionId, data]) => ({ roomId, sessionId, data }));

function grouped(keys: [string, string, Record<string, unknown>][]) {
  const rooms: Record<string, { sessions: Record<string, Record<string, unknown>> }> = {};
  for (const [roomId, sessionId, data] of keys) (rooms[roomId] ??= { sessions: {} }).sessions[sessionId] = data;
  return rooms;
}

export const handler = matrixFunction('keyBackup', {
  postRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    const body = parseRequestBody(createBody, request.body);
    const command: KeysCommand = { kind: 'keys.backupVersion', userId, algorithm: body.algorithm, authData: body.auth_data };
    return json(await submit<{ version: string }>('users', userId, command));
  },
  getRoomKeysVersionCurrent: async (request) => {
    const { userId } = await authenticate(request);
    return json(await readBackupVersion(userId));
  },
  getRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    return json(await readBackupVersion(userId, request.pathParameters.version));
  },
  putRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    const version = request.pathParameters.version!;
    const body = parseRequestBody(updateBody, request.body);
    if (body.version !== undefined && body.version !== version) throw invalidParam('The version in the body must be the one in the path');
    await updateBackupVersion(userId, version, body.algorithm, body.auth_data);
    return json({});
  },
  deleteRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    await deleteBackupVersion(userId, request.pathParameters.version!);
    return json({});
  },
  putRoomKeys: async (request) => {
    const { userId } = await authenticate(request);
    const version = versionParam(request);
    const body = parseRequestBody(allRooms, request.body);
    const sessions = Object.entries(body.rooms).flatMap(([roomId, room]) => sessionsOf(roomId, room.sessions));
    return json(await putBackupKeys(userId, version, sessions));
  },
  putRoomKeysByRoomId: async (request) => {
    const { userId } = await authenticate(request);
    const version = versionParam(request);
    const body = parseRequestBody(roomSessions, request.body);
    return json(await putBackupKeys(userId, version, sessionsOf(request.pathParameters.roomId!, body.sessions)));
  },
  putRoomKeyBySessionId: async (request) => {
    const { userId } = await authenticate(request);
    const version = versionParam(request);
    const data = parseRequestBody(keyBackupData, request.body);
    const { roomId, sessionId } = request.pathParameters as { roomId: string; sessionId: string };
    return json(await putBackupKeys(userId, version, [{ roomId, sessionId, data }]));
  },
  getRoomKeys: async (request) => {
    const { userId } = await authenticate(request);
    return json({ rooms: grouped(await readBackupKeys(userId, versionParam(request))) });
  },
  getRoomKeysByRoomId: async (request) => {
    const { userId } = await authenticate(request);
    const roomId = request.pathParameters.roomId!;
    return json({ sessions: grouped(await readBackupKeys(userId, versionParam(request), roomId))[roomId]?.sessions ?? {} });
  },
  getRoomKeyBySessionId: async (request) => {
    const { userId } = await authenticate(request);
    const { roomId, sessionId } = request.pathParameters as { roomId: string; sessionId: string };
    return json(await readBackupSession(userId, versionParam(request), roomId, sessionId));
  },
  deleteRoomKeys: async (request) => {
    const { userId } = await authenticate(request);
    return json(await deleteBackupKeys(userId, versionParam(request)));
  },
  deleteRoomKeysByRoomId: async (request) => {
    const { userId } = await authenticate(request);
    return json(await deleteBackupKeys(userId, versionParam(request), { roomId: request.pathParameters.roomId! }));
  },
  deleteRoomKeyBySessionId: async (request) => {
    const { userId } = await authenticate(request);
    const { roomId, sessionId } = request.pathParameters as { roomId: string; sessionId: string };
    return json(await deleteBackupKeys(userId, versionParam(request), { roomId, sessionId }));
  },
});
