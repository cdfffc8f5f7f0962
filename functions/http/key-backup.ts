// Server-side key backup: versions (POST/GET /room_keys/version, GET/PUT/DELETE
// /room_keys/version/{version}) and the session keys in them (PUT/GET/DELETE /room_keys/keys,
// /room_keys/keys/{roomId}, /room_keys/keys/{roomId}/{sessionId}, all with `?version=`).
import { json } from '../../lib/http/operation.ts';
import { readBackupKeys, readBackupSession, readBackupVersion } from '../../lib/matrix/keys/backup.ts';
import { deleteBackupVersion } from '../../lib/matrix/keys/backup-submit.ts';
import {
  allRoomKeysRequest,
  backedUpSessions,
  backupVersionParam,
  changeBackupVersion,
  createBackupRequest,
  createBackupVersion,
  deleteBackupKeys,
  groupedBackupKeys,
  keyBackupData,
  putBackupKeys,
  roomKeysRequest,
  updateBackupRequest,
} from '../../lib/matrix/keys/requests.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const user = { auth: 'user' } as const;
const version = { auth: 'user', params: ['version'] } as const;
const room = { auth: 'user', params: ['roomId'] } as const;
const session = { auth: 'user', params: ['roomId', 'sessionId'] } as const;

export const handler = matrixFunction('keyBackup', {
  postRoomKeysVersion: operation({ ...user, body: createBackupRequest }, async ({ requester, body }) => json(await createBackupVersion(requester.userId, body))),
  getRoomKeysVersionCurrent: operation(user, async ({ requester }) => json(await readBackupVersion(requester.userId))),
  getRoomKeysVersion: operation(version, async ({ requester, params }) => json(await readBackupVersion(requester.userId, params.version))),
  putRoomKeysVersion: operation({ ...version, body: updateBackupRequest }, async ({ requester, params, body }) => {
    await changeBackupVersion(requester.userId, params.version, body);
    return json({});
  }),
  deleteRoomKeysVersion: operation(version, async ({ requester, params }) => {
    await deleteBackupVersion(requester.userId, params.version);
    return json({});
  }),
  putRoomKeys: operation({ ...user, body: allRoomKeysRequest }, async ({ requester, body, request }) => {
    const sessions = Object.entries(body.rooms).flatMap(([roomId, r]) => backedUpSessions(roomId, r.sessions));
    return json(await putBackupKeys(requester.userId, backupVersionParam(request.query), sessions));
  }),
  putRoomKeysByRoomId: operation({ ...room, body: roomKeysRequest }, async ({ requester, params, body, request }) =>
    json(await putBackupKeys(requester.userId, backupVersionParam(request.query), backedUpSessions(params.roomId, body.sessions))),
  ),
  putRoomKeyBySessionId: operation({ ...session, body: keyBackupData }, async ({ requester, params: { roomId, sessionId }, body: data, request }) =>
    json(await putBackupKeys(requester.userId, backupVersionParam(request.query), [{ roomId, sessionId, data }])),
  ),
  getRoomKeys: operation(user, async ({ requester, request }) =>
    json({ rooms: groupedBackupKeys(await readBackupKeys(requester.userId, backupVersionParam(request.query))) }),
  ),
  getRoomKeysByRoomId: operation(room, async ({ requester, params: { roomId }, request }) =>
    json({ sessions: groupedBackupKeys(await readBackupKeys(requester.userId, backupVersionParam(request.query), roomId))[roomId]?.sessions ?? {} }),
  ),
  getRoomKeyBySessionId: operation(session, async ({ requester, params: { roomId, sessionId }, request }) =>
    json(await readBackupSession(requester.userId, backupVersionParam(request.query), roomId, sessionId)),
  ),
  deleteRoomKeys: operation(user, async ({ requester, request }) => json(await deleteBackupKeys(requester.userId, backupVersionParam(request.query)))),
  deleteRoomKeysByRoomId: operation(room, async ({ requester, params: { roomId }, request }) =>
    json(await deleteBackupKeys(requester.userId, backupVersionParam(request.query), { roomId })),
  ),
  deleteRoomKeyBySessionId: operation(session, async ({ requester, params: { roomId, sessionId }, request }) =>
    json(await deleteBackupKeys(requester.userId, backupVersionParam(request.query), { roomId, sessionId })),
  ),
});
