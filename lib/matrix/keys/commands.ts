// The users-depot commands of end-to-end encryption keys. They share the depot with the account and
// user-data commands (partition key = user id: a user's key changes apply in order, and claims of
// one user's keys are serialized, so two claims never take the same key) and are told apart by the
// `keys.` prefix of their kind.
import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());

export const keysCommand = z.discriminatedUnion('kind', [
  /** POST /keys/upload by the device itself. */
  z.object({
    kind: z.literal('keys.upload'),
    userId: z.string().min(1),
    deviceId: z.string().min(1),
    deviceKeys: jsonObject.optional(),
    oneTimeKeys: jsonObject.optional(),
    fallbackKeys: jsonObject.optional(),
  }),
  /** POST /keys/claim, the part for one user (partition key): device id → algorithm. */
  z.object({ kind: z.literal('keys.claim'), userId: z.string().min(1), devices: z.record(z.string(), z.string()) }),
  /** PUT /sendToDevice, the part for one recipient (userId): device id or `*` → content. */
  z.object({
    kind: z.literal('keys.toDevice'),
    userId: z.string().min(1),
    sender: z.string().min(1),
    senderDevice: z.string().min(1),
    txnId: z.string().min(1),
    type: z.string().min(1),
    messages: z.record(z.string(), jsonObject),
  }),
  /** POST /room_keys/version: a new backup version, which becomes the current one. */
  z.object({ kind: z.literal('keys.backupVersion'), userId: z.string().min(1), algorithm: z.string().min(1), authData: jsonObject }),
  /** PUT /room_keys/version/{version}: new auth_data (same algorithm). */
  z.object({ kind: z.literal('keys.backupVersionUpdate'), userId: z.string().min(1), version: z.string().min(1), algorithm: z.string().min(1), authData: jsonObject }),
  /** DELETE /room_keys/version/{version}: a tombstone; purging `keys.backupDelete` commands follow. */
  z.object({ kind: z.literal('keys.backupVersionDelete'), userId: z.string().min(1), version: z.string().min(1) }),
  /** PUT /room_keys/keys...: session keys into the current version (a request is split into commands of ≤ 80). */
  z.object({
    kind: z.literal('keys.backupPut'),
    userId: z.string().min(1),
    version: z.string().min(1),
    sessions: z.array(z.object({ roomId: z.string().min(1), sessionId: z.string().min(1), data: jsonObject })).max(80),
  }),
  /** DELETE /room_keys/keys...: at most one transaction's worth; the value's `more` asks for another. */
  z.object({
    kind: z.literal('keys.backupDelete'),
    userId: z.string().min(1),
    version: z.string().min(1),
    roomId: z.string().min(1).optional(),
    sessionId: z.string().min(1).optional(),
    /** Purging a deleted version's keys. */
    purge: z.boolean().optional(),
  }),
  /** POST /keys/device_signing/upload (after the password stage). */
  z.object({ kind: z.literal('keys.crossSigning'), userId: z.string().min(1), keys: z.record(z.string(), jsonObject) }),
  /** POST /keys/signatures/upload by `userId` (the signer): target user id → key id → signed key object. */
  z.object({ kind: z.literal('keys.signatures'), userId: z.string().min(1), signed: z.record(z.string(), z.record(z.string(), jsonObject)) }),
  /** Devices the users topology removed: their keys and inboxes go (lib/matrix/keys/removed-devices.ts). */
  z.object({ kind: z.literal('keys.devicesRemoved'), userId: z.string().min(1), deviceIds: z.array(z.string().min(1)).max(100) }),
  /** A device synced past its inbox entries up to `upTo` (inclusive): they are deleted. */
  z.object({ kind: z.literal('keys.toDeviceAck'), userId: z.string().min(1), deviceId: z.string().min(1), upTo: z.string().min(1) }),
]);
export type KeysCommand = z.infer<typeof keysCommand>;
export type KeysCommandOf<K extends KeysCommand['kind']> = Extract<KeysCommand, { kind: K }>;

export const isKeysCommandKind = (kind: string | undefined): boolean => kind?.startsWith('keys.') ?? false;

/** The partition of a device's one-time and fallback keys. */
export const deviceKeyOwner = (userId: string, deviceId: string): string => `${userId}\u0000${deviceId}`;
