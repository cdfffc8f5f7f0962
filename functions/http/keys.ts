// End-to-end encryption keys: POST /keys/upload, /keys/query, /keys/claim, GET /keys/changes,
// cross-signing keys and signatures.
// Uploads and claims go through the users depot (keys topology); queries read the PStates.
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { badJson, missingParam, tooLarge } from '../../lib/matrix/errors.ts';
import { changedDeviceLists } from '../../lib/matrix/keys/changes.ts';
import type { KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { claimKeys } from '../../lib/matrix/keys/claim.ts';
import { queryKeys } from '../../lib/matrix/keys/query.ts';
import { MAX_SIGNED_OBJECTS } from '../../lib/matrix/keys/signatures.ts';
import { requirePasswordAuth } from '../../lib/matrix/accounts/uia.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { decodeSyncToken } from '../../lib/matrix/sync/token.ts';

const jsonObject = z.record(z.string(), z.unknown());

const deviceKeysBody = z.looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures: z.record(z.string(), z.record(z.string(), z.string())),
});

const uploadBody = z.object({
  device_keys: z.unknown().optional(),
  one_time_keys: jsonObject.optional(),
  fallback_keys: jsonObject.optional(),
});

const queryBody = z.object({ device_keys: z.record(z.string(), z.array(z.string())), timeout: z.number().optional() });

const claimBody = z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().optional() });

async function upload(request: HttpRequest) {
  const { userId, deviceId } = await authenticate(request);
  const body = parseRequestBody(uploadBody, request.body);
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
  return json(await submit<Record<string, unknown>>('users', userId, command));
}

async function query(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const body = parseRequestBody(queryBody, request.body);
  return json(await queryKeys(userId, body.device_keys));
}

async function claim(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const body = parseRequestBody(claimBody, request.body);
  return json(await claimKeys(userId, body.one_time_keys));
}

async function changes(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const from = request.query.get('from');
  const to = request.query.get('to');
  if (from === null) throw missingParam('from is required');
  if (to === null) throw missingParam('to is required');
  const [fromPosition, toPosition] = [decodeSyncToken(from), decodeSyncToken(to)];
  return json(await changedDeviceLists(userId, fromPosition.keys ?? {}, toPosition.keys ?? {}, fromPosition.rooms, toPosition.rooms));
}

const crossSigningBody = z.looseObject({
  auth: z.unknown().optional(),
  master_key: jsonObject.optional(),
  self_signing_key: jsonObject.optional(),
  user_signing_key: jsonObject.optional(),
});

async function uploadCrossSigning(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const body = parseRequestBody(crossSigningBody, request.body);
  await requirePasswordAuth(body.auth, userId);
  const keys = {
    ...(body.master_key ? { master: body.master_key } : {}),
    ...(body.self_signing_key ? { self_signing: body.self_signing_key } : {}),
    ...(body.user_signing_key ? { user_signing: body.user_signing_key } : {}),
  };
  const command: KeysCommand = { kind: 'keys.crossSigning', userId, keys };
  await submit('users', userId, command);
  return json({});
}

const signaturesBody = z.record(z.string(), z.record(z.string(), jsonObject));

async function uploadSignatures(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const signed = parseRequestBody(signaturesBody, request.body);
  const count = Object.values(signed).reduce((n, keys) => n + Object.keys(keys).length, 0);
  if (count > MAX_SIGNED_OBJECTS) throw tooLarge(`At most ${MAX_SIGNED_OBJECTS} signed keys per request`);
  if (count === 0) return json({ failures: {} });
  const command: KeysCommand = { kind: 'keys.signatures', userId, signed };
  return json(await submit<{ failures: Record<string, unknown> }>('users', userId, command));
}

export const handler = matrixFunction('keys', {
  uploadCrossSigningSignatures: uploadSignatures,
  uploadCrossSigningKeys: uploadCrossSigning,
  uploadKeys: upload,
  queryKeys: query,
  claimKeys: claim,
  getKeysChanges: changes,
});
