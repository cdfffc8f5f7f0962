// Server-side key backup versions: created through the keys topology (versions count up per user);
// the newest is the current one. Backed-up session keys themselves are not stored yet.
import type { WriteOp } from '../../core/pstate/index.ts';
import { notFound } from '../errors.ts';
import { keyBackupVersions } from '../pstates.ts';
import type { KeysCommandOf } from './commands.ts';

export async function planCreateBackupVersion(c: KeysCommandOf<'keys.backupVersion'>): Promise<{ ops: WriteOp[]; version: string }> {
  const newest = await keyBackupVersions.key(c.userId).range({ reverse: true, limit: 1, consistent: true });
  const version = (newest.entries[0]?.[0] ?? 0) + 1;
  return { ops: [keyBackupVersions.key(c.userId).key(version).set({ algorithm: c.algorithm, authData: c.authData }, { ifAbsent: true })], version: String(version) };
}

/** The backup version (the newest when none is named); 404 M_NOT_FOUND when there is none. */
export async function readBackupVersion(userId: string, version?: string) {
  let found: [number, { algorithm?: string; authData?: Record<string, unknown> }] | undefined;
  if (version === undefined) {
    found = (await keyBackupVersions.key(userId).range({ reverse: true, limit: 1 })).entries[0];
  } else if (/^[1-9]\d{0,14}$/.test(version)) {
    const entry = await keyBackupVersions.key(userId).key(Number(version)).get();
    if (entry) found = [Number(version), entry];
  }
  if (!found) throw notFound(version === undefined ? 'No current backup version' : 'Unknown backup version');
  const [v, meta] = found;
  // No keys are stored in a backup yet: count 0 and an etag that names that.
  return { algorithm: meta.algorithm ?? '', auth_data: meta.authData ?? {}, count: 0, etag: '0', version: String(v) };
}
