// Server-side key backup: versions and the session keys backed up in them, changed through the keys
// topology (in order per user, so a version's `count` and `etag` are kept exactly with its keys).
// Versions count up per user; the newest not deleted is the current one, and only it takes keys.
import { getMany, type WriteOp } from '../../core/pstate/index.ts';
import { invalidParam, MatrixError, notFound } from '../errors.ts';
import { keyBackupKeys, keyBackupVersions } from '../pstates.ts';
import type { KeysCommandOf } from './commands.ts';

/** Session keys per record (one transaction ≤ 99 items): requests are split into commands of this many. */
export const BACKUP_KEYS_PER_COMMAND = 80;
/** Most session keys one PUT may carry (413 M_TOO_LARGE above). */
export const MAX_BACKUP_KEYS_PER_REQUEST = 1000;

type VersionMeta = { algorithm?: string; authData?: Record<string, unknown>; deleted?: boolean; count?: number; etag?: number };
type KeyBackupData = { first_message_index?: unknown; forwarded_count?: unknown; is_verified?: unknown };

const VERSION = /^[1-9]\d{0,14}$/;
const unknownVersion = () => notFound('Unknown backup version');

/** Where a user's version's keys live. */
export const backupOwner = (userId: string, version: number): string => `${userId}\u0000${version}`;
export const sessionKey = (roomId: string, sessionId: string): string => `${roomId}\u0000${sessionId}`;

/** The newest version not deleted. */
async function currentVersion(userId: string, consistent: boolean): Promise<[number, VersionMeta] | undefined> {
  let cursor: string | undefined;
  do {
    const page = await keyBackupVersions.key(userId).range({ reverse: true, limit: 20, consistent, ...(cursor ? { cursor } : {}) });
    const found = page.entries.find(([, meta]) => !meta.deleted);
    if (found) return found;
    cursor = page.cursor;
  } while (cursor);
  return undefined;
}

/** The named version (deleted ones only with `includeDeleted`); 404 M_NOT_FOUND otherwise. */
async function namedVersion(userId: string, version: string, consistent: boolean, includeDeleted = false): Promise<[number, VersionMeta]> {
  if (!VERSION.test(version)) throw unknownVersion();
  const meta = await keyBackupVersions.key(userId).key(Number(version)).get({ consistent });
  if (!meta || (meta.deleted && !includeDeleted)) throw unknownVersion();
  return [Number(version), meta];
}

export async function planCreateBackupVersion(c: KeysCommandOf<'keys.backupVersion'>): Promise<{ ops: WriteOp[]; version: string }> {
  // Deleted versions count too: a number is never given twice.
  const newest = await keyBackupVersions.key(c.userId).range({ reverse: true, limit: 1, consistent: true });
  const version = (newest.entries[0]?.[0] ?? 0) + 1;
  const meta = { algorithm: c.algorithm, authData: c.authData, deleted: false, count: 0, etag: 0 };
  return { ops: [keyBackupVersions.key(c.userId).key(version).set(meta, { ifAbsent: true })], version: String(version) };
}

export function planUpdateBackupVersion(c: KeysCommandOf<'keys.backupVersionUpdate'>): Promise<WriteOp[]> {
  return namedVersion(c.userId, c.version, true).then(([version, meta]) => {
    if (meta.algorithm !== c.algorithm) throw invalidParam('The algorithm of a backup cannot change');
    return [keyBackupVersions.key(c.userId).key(version).field('authData').set(c.authData)];
  });
}

export async function planDeleteBackupVersion(c: KeysCommandOf<'keys.backupVersionDelete'>): Promise<WriteOp[]> {
  const [version] = await namedVersion(c.userId, c.version, true);
  // A tombstone: the keys go in the purge commands that follow (lib/matrix/keys/backup-submit.ts).
  return [keyBackupVersions.key(c.userId).key(version).field('deleted').set(true)];
}

/** The spec's rule: is `incoming` better than the session key already backed up? */
export function replacesBackedUpKey(incoming: KeyBackupData, existing: KeyBackupData | undefined): boolean {
  if (existing === undefined) return true;
  if (incoming.is_verified !== existing.is_verified) return incoming.is_verified === true;
  const [newIndex, oldIndex] = [Number(incoming.first_message_index), Number(existing.first_message_index)];
  if (newIndex !== oldIndex) return newIndex < oldIndex;
  return Number(incoming.forwarded_count) < Number(existing.forwarded_count);
}

/**
 * The version keys may be uploaded into: it must exist (404 M_NOT_FOUND) and be the current one
 * (403 M_WRONG_ROOM_KEYS_VERSION). Checked by the HTTP operation before it submits anything (an
 * upload into nothing costs two reads, no depot append) and again by the topology, which decides.
 */
export async function uploadVersion(userId: string, name: string): Promise<[number, VersionMeta]> {
  const [version, meta] = await namedVersion(userId, name, true);
  const current = await currentVersion(userId, true);
  if (!current || current[0] !== version) {
    throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', { current_version: String(current?.[0] ?? version) });
  }
  return [version, meta];
}

/** What an upload of no keys answers: the version's etag and count as they are. */
export const versionCounters = (meta: VersionMeta) => ({ etag: String(meta.etag ?? 0), count: meta.count ?? 0 });

/** The named version exists (deleted ones do not): 404 M_NOT_FOUND before a delete is submitted. */
export async function requireVersion(userId: string, name: string): Promise<void> {
  await namedVersion(userId, name, true);
}

export async function planBackupPut(c: KeysCommandOf<'keys.backupPut'>): Promise<{ ops: WriteOp[]; value: { etag: string; count: number } }> {
  const [version, meta] = await uploadVersion(c.userId, c.version);
  const owner = backupOwner(c.userId, version);
  const keys = c.sessions.map((s) => sessionKey(s.roomId, s.sessionId));
  const stored = await getMany(keys.map((k) => keyBackupKeys.key(owner).key(k)), { consistent: true });
  const best = new Map<string, { data: Record<string, unknown>; isNew: boolean }>();
  c.sessions.forEach((s, i) => {
    const key = keys[i]!;
    const held = best.get(key);
    const existing = held?.data ?? (stored[i] as KeyBackupData | undefined);
    if (replacesBackedUpKey(s.data, existing)) best.set(key, { data: s.data, isNew: held ? held.isNew : stored[i] === undefined });
  });
  let count = meta.count ?? 0;
  let etag = meta.etag ?? 0;
  const ops: WriteOp[] = [];
  for (const [key, { data, isNew }] of best) {
    ops.push(keyBackupKeys.key(owner).key(key).set(data));
    if (isNew) count += 1;
  }
  if (ops.length > 0) {
    etag += 1;
    ops.push(keyBackupVersions.key(c.userId).key(version).field('count').set(count), keyBackupVersions.key(c.userId).key(version).field('etag').set(etag));
  }
  return { ops, value: { etag: String(etag), count } };
}

/** Deletion per record; `more` says another command must go on. */
const DELETE_BUDGET = 90;

export async function planBackupDelete(c: KeysCommandOf<'keys.backupDelete'>): Promise<{ ops: WriteOp[]; value: { etag: string; count: number; more: boolean } }> {
  const [version, meta] = await namedVersion(c.userId, c.version, true, c.purge === true);
  const owner = keyBackupKeys.key(backupOwner(c.userId, version));
  let keys: string[];
  let more = false;
  if (c.roomId !== undefined && c.sessionId !== undefined) {
    const key = sessionKey(c.roomId, c.sessionId);
    keys = (await owner.key(key).get({ consistent: true })) === undefined ? [] : [key];
  } else {
    const bounds = c.roomId !== undefined ? { from: `${c.roomId}\u0000`, to: `${c.roomId}\u0001` } : {};
    const page = await owner.range({ ...bounds, limit: DELETE_BUDGET, consistent: true });
    keys = page.entries.map(([k]) => k);
    more = page.cursor !== undefined;
  }
  const ops: WriteOp[] = keys.map((k) => owner.key(k).remove());
  const count = Math.max(0, (meta.count ?? 0) - keys.length);
  const etag = (meta.etag ?? 0) + (keys.length > 0 ? 1 : 0);
  if (keys.length > 0 && !meta.deleted) {
    ops.push(keyBackupVersions.key(c.userId).key(version).field('count').set(count), keyBackupVersions.key(c.userId).key(version).field('etag').set(etag));
  }
  return { ops, value: { etag: String(etag), count, more } };
}

/** The backup version (the current one when none is named); 404 M_NOT_FOUND when there is none. */
export async function readBackupVersion(userId: string, version?: string) {
  const found = version === undefined ? await currentVersion(userId, false) : await namedVersion(userId, version, false);
  if (!found) throw notFound('No current backup version');
  const [v, meta] = found;
  return { algorithm: meta.algorithm ?? '', auth_data: meta.authData ?? {}, count: meta.count ?? 0, etag: String(meta.etag ?? 0), version: String(v) };
}

/** The backed-up keys of a version (existing, not deleted): all, a room's, or one session's. */
export async function readBackupKeys(userId: string, version: string, roomId?: string): Promise<[string, string, Record<string, unknown>][]> {
  const [v] = await namedVersion(userId, version, true);
  const owner = keyBackupKeys.key(backupOwner(userId, v));
  const bounds = roomId !== undefined ? { from: `${roomId}\u0000`, to: `${roomId}\u0001` } : {};
  return (await owner.entries({ ...bounds, limit: 500, consistent: true })).map(([key, data]) => {
    const split = key.indexOf('\u0000');
    return [key.slice(0, split), key.slice(split + 1), data];
  });
}

export async function readBackupSession(userId: string, version: string, roomId: string, sessionId: string): Promise<Record<string, unknown>> {
  const [v] = await namedVersion(userId, version, true);
  const data = await keyBackupKeys.key(backupOwner(userId, v)).key(sessionKey(roomId, sessionId)).get({ consistent: true });
  if (data === undefined) throw notFound('No key backed up for that session');
  return data;
}
