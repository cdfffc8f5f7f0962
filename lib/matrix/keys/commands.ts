// The users-depot commands of end-to-end encryption keys. They share the depot with the account and
// user-data commands (partition key = user id: a user's key changes apply in order, and claims of
// one user's keys are serialized, so two claims never take the same key) and are told apart by the
// `keys.` prefix of their kind.
import { z } from 'zod';
import { id, jsonObjectWithin, jsonWithin, text } from '../command-fields.ts';

/** A key object, signature set or to-device content: stored whole, one item each. */
export const MAX_KEY_OBJECT_BYTES = 65_536;
const jsonObject = jsonObjectWithin(MAX_KEY_OBJECT_BYTES);
/** Device ids, key ids (`<algorithm>:<id>`), algorithms, session ids: they key items. */
const name = id;
const byName = <V extends z.ZodType>(value: V) => z.record(name, value);

export const keysCommand = z.discriminatedUnion('kind', [
  /** POST /keys/upload by the device itself. */
  z.object({
    kind: z.literal('keys.upload'),
    userId: id,
    deviceId: name,
    deviceKeys: jsonObject.optional(),
    oneTimeKeys: byName(jsonWithin(MAX_KEY_OBJECT_BYTES)).optional(),
    fallbackKeys: byName(jsonWithin(MAX_KEY_OBJECT_BYTES)).optional(),
  }),
  /** POST /keys/claim, the part for one user (partition key): device id → algorithm. */
  z.object({ kind: z.literal('keys.claim'), userId: id, devices: byName(name) }),
  /** PUT /sendToDevice, the part for one recipient (userId): device id or `*` → content. */
  z.object({
    kind: z.literal('keys.toDevice'),
    userId: id,
    sender: id,
    senderDevice: name,
    txnId: name,
    type: name,
    messages: byName(jsonObject),
  }),
  /** POST /room_keys/version: a new backup version, which becomes the current one. */
  z.object({ kind: z.literal('keys.backupVersion'), userId: id, algorithm: name, authData: jsonObject }),
  /** PUT /room_keys/version/{version}: new auth_data (same algorithm). */
  z.object({ kind: z.literal('keys.backupVersionUpdate'), userId: id, version: name, algorithm: name, authData: jsonObject }),
  /** DELETE /room_keys/version/{version}: a tombstone; purging `keys.backupDelete` commands follow. */
  z.object({ kind: z.literal('keys.backupVersionDelete'), userId: id, version: name }),
  /** PUT /room_keys/keys...: session keys into the current version (a request is split into commands of ≤ 80). */
  z.object({
    kind: z.literal('keys.backupPut'),
    userId: id,
    version: name,
    sessions: z.array(z.object({ roomId: id, sessionId: name, data: jsonObject })).max(80),
  }),
  /** DELETE /room_keys/keys...: at most one transaction's worth; the value's `more` asks for another. */
  z.object({
    kind: z.literal('keys.backupDelete'),
    userId: id,
    version: name,
    roomId: id.optional(),
    sessionId: name.optional(),
    /** Purging a deleted version's keys. */
    purge: z.boolean().optional(),
  }),
  /** POST /keys/device_signing/upload (after the password stage). */
  z.object({ kind: z.literal('keys.crossSigning'), userId: id, keys: byName(jsonObject) }),
  /** POST /keys/signatures/upload by `userId` (the signer): target user id → key id → signed key object. */
  z.object({ kind: z.literal('keys.signatures'), userId: id, signed: z.record(id, byName(jsonObject)) }),
  /** Devices the users topology removed: their keys and inboxes go (lib/matrix/keys/removed-devices.ts). */
  z.object({ kind: z.literal('keys.devicesRemoved'), userId: id, deviceIds: z.array(name).max(100) }),
  /** A device synced past its inbox entries up to `upTo` (inclusive): they are deleted. */
  z.object({ kind: z.literal('keys.toDeviceAck'), userId: id, deviceId: name, upTo: text(1024, { nonEmpty: true }) }),
]);
export type KeysCommand = z.infer<typeof keysCommand>;
export type KeysCommandOf<K extends KeysCommand['kind']> = Extract<KeysCommand, { kind: K }>;

export const isKeysCommandKind = (kind: string | undefined): boolean => kind?.startsWith('keys.') ?? false;

/** The partition of a device's one-time and fallback keys. */
export const deviceKeyOwner = (userId: string, deviceId: string): string => `${userId}\u0000${deviceId}`;
