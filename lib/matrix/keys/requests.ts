// The keys endpoints' requests (POST /keys/upload, /keys/query, /keys/claim,
// /keys/device_signing/upload, /keys/signatures/upload, GET /keys/changes, and the key backup's
// /room_keys routes): their bodies' schemas and what turns a checked request into a command or a read.
import { z } from 'zod';
import type { Requester } from '../accounts/authenticate.ts';
import { requirePasswordAuth } from '../accounts/uia.ts';
import { submit } from '../commands.ts';
import { badJson, invalidParam, missingParam, tooLarge } from '../errors.ts';
import { anyObject, identifier } from '../request-schemas.ts';
import { decodeSyncToken } from '../sync/token.ts';
import { deleteBackupKeys, putBackupKeys, updateBackupVersion, type BackedUpSession } from './backup-submit.ts';
import { changedDeviceLists } from './changes.ts';
import type { KeysCommand } from './commands.ts';
import { MAX_SIGNED_OBJECTS } from './signatures.ts';

const deviceKeysBody = z.looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures: z.record(z.string(), z.record(z.string(), z.string())),
});

export const uploadKeysRequest = z.object({
  device_keys: z.unknown().optional(),
  one_time_keys: anyObject.optional(),
  fallback_keys: anyObject.optional(),
});

export const queryKeysRequest = z.object({ device_keys: z.record(z.string(), z.array(z.string())), timeout: z.number().optional() });

export const claimKeysRequest = z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().optional() });

export const crossSigningRequest = z.looseObject({
  auth: z.unknown().optional(),
  master_key: anyObject.optional(),
  self_signing_key: anyObject.optional(),
  user_signing_key: anyObject.optional(),
});

export const signaturesRequest = z.record(z.string(), z.record(z.string(), anyObject));

/** POST /keys/upload: the requester's device keys, one-time and fallback keys. */
export async function uploadKeys({ userId, deviceId }: Requester, body: z.output<typeof uploadKeysRequest>): Promise<Record<string, unknown>> {
  // Device keys lacking a field are invalid keys, M_BAD_JSON as Synapse answers (Complement
  // TestUploadKey "Rejects invalid device keys"), not a missing request parameter.
  const parsedKeys = body.device_keys === undefined ? undefined : deviceKeysBody.safeParse(body.device_keys);
  if (parsedKeys && !parsedKeys.success) throw badJson(`Invalid device_keys: ${parsedKeys.error.issues[0]!.path.join('.')} ${parsedKeys.error.issues[0]!.message}`);
  const deviceKeys = parsedKeys?.data;
  if (deviceKeys && (deviceKeys.user_id !== userId || deviceKeys.device_id !== deviceId)) {
    throw badJson('device_keys must be those of the requesting user and device');
  }
  const command: KeysCommand = {
    kind: 'keys.upload',
    userId,
    deviceId,
    ...(deviceKeys ? { deviceKeys } : {}),
    ...(body.one_time_keys ? { oneTimeKeys: body.one_time_keys } : {}),
    ...(body.fallback_keys ? { fallbackKeys: body.fallback_keys } : {}),
  };
  return submit<Record<string, unknown>>('users', userId, command);
}

/** GET /keys/changes?from&to: whose device lists changed between two sync tokens. */
export async function keysChanges(userId: string, query: URLSearchParams) {
  const from = query.get('from');
  const to = query.get('to');
  if (from === null) throw missingParam('from is required');
  if (to === null) throw missingParam('to is required');
  const [fromPosition, toPosition] = [decodeSyncToken(from), decodeSyncToken(to)];
  return changedDeviceLists(userId, fromPosition.keys ?? {}, toPosition.keys ?? {}, fromPosition.rooms, toPosition.rooms);
}

/** POST /keys/device_signing/upload: the requester's cross-signing keys, behind the password. */
export async function uploadCrossSigning(userId: string, body: z.output<typeof crossSigningRequest>): Promise<void> {
  await requirePasswordAuth(body.auth, userId);
  const keys = {
    ...(body.master_key ? { master: body.master_key } : {}),
    ...(body.self_signing_key ? { self_signing: body.self_signing_key } : {}),
    ...(body.user_signing_key ? { user_signing: body.user_signing_key } : {}),
  };
  const command: KeysCommand = { kind: 'keys.crossSigning', userId, keys };
  await submit('users', userId, command);
}

/** POST /keys/signatures/upload: signatures of keys, at most MAX_SIGNED_OBJECTS signed objects. */
export async function uploadSignatures(userId: string, signed: z.output<typeof signaturesRequest>): Promise<{ failures: Record<string, unknown> }> {
  const count = Object.values(signed).reduce((n, keys) => n + Object.keys(keys).length, 0);
  if (count > MAX_SIGNED_OBJECTS) throw tooLarge(`At most ${MAX_SIGNED_OBJECTS} signed keys per request`);
  if (count === 0) return { failures: {} };
  const command: KeysCommand = { kind: 'keys.signatures', userId, signed };
  return submit<{ failures: Record<string, unknown> }>('users', userId, command);
}

// Key backup

export const createBackupRequest = z.object({ algorithm: z.string().min(1), auth_data: anyObject });
export const updateBackupRequest = z.object({ algorithm: z.string().min(1), auth_data: anyObject, version: z.string().optional() });

/** KeyBackupData (spec definitions/key_backup_data.yaml), kept as sent. */
export const keyBackupData = z.looseObject({
  first_message_index: z.number().int().min(0),
  forwarded_count: z.number().int().min(0),
  is_verified: z.boolean(),
  session_data: anyObject,
});
export const roomKeysRequest = z.object({ sessions: z.record(identifier, keyBackupData) });
export const allRoomKeysRequest = z.object({ rooms: z.record(identifier, roomKeysRequest) });

/** The `version` query parameter every /room_keys/keys route requires. */
export function backupVersionParam(query: URLSearchParams): string {
  const version = query.get('version');
  if (version === null) throw missingParam('version is required');
  return version;
}

/** POST /room_keys/version: a new backup version → its id. */
export function createBackupVersion(userId: string, body: z.output<typeof createBackupRequest>): Promise<{ version: string }> {
  const command: KeysCommand = { kind: 'keys.backupVersion', userId, algorithm: body.algorithm, authData: body.auth_data };
  return submit<{ version: string }>('users', userId, command);
}

/** PUT /room_keys/version/{version}: its auth data; a version in the body must be the path's. */
export async function changeBackupVersion(userId: string, version: string, body: z.output<typeof updateBackupRequest>): Promise<void> {
  if (body.version !== undefined && body.version !== version) throw invalidParam('The version in the body must be the one in the path');
  await updateBackupVersion(userId, version, body.algorithm, body.auth_data);
}

export const backedUpSessions = (roomId: string, sessions: Record<string, Record<string, unknown>>): BackedUpSession[] =>
  Object.entries(sessions).map(([sessionId, data]) => ({ roomId, sessionId, data }));

/** Backed-up keys as the spec answers them: room id → { sessions: session id → data }. */
export function groupedBackupKeys(keys: [string, string, Record<string, unknown>][]) {
  const rooms: Record<string, { sessions: Record<string, Record<string, unknown>> }> = {};
  for (const [roomId, sessionId, data] of keys) (rooms[roomId] ??= { sessions: {} }).sessions[sessionId] = data;
  return rooms;
}

export { deleteBackupKeys, putBackupKeys };
