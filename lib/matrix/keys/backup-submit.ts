// The HTTP side of key backup writes: a PUT of many session keys becomes commands of at most one
// transaction each, a DELETE repeats its command until nothing is left, each through the users
// depot and the keys topology (applied once each, in order with the user's other key commands).
import { submit } from '../commands.ts';
import { tooLarge } from '../errors.ts';
import { BACKUP_KEYS_PER_COMMAND, MAX_BACKUP_KEYS_PER_REQUEST, requireVersion, uploadVersion, versionCounters } from './backup.ts';
import type { KeysCommand, KeysCommandOf } from './commands.ts';

export interface BackedUpSession {
  roomId: string;
  sessionId: string;
  data: Record<string, unknown>;
}

type Counters = { etag: string; count: number };

/** Back up session keys into `version` (which must be the current one); answers the version's etag and count. */
export async function putBackupKeys(userId: string, version: string, sessions: BackedUpSession[]): Promise<Counters> {
  if (sessions.length > MAX_BACKUP_KEYS_PER_REQUEST) throw tooLarge(`At most ${MAX_BACKUP_KEYS_PER_REQUEST} session keys per request`);
  // An unknown or old version, or nothing to store, is answered from two reads, without a command.
  const [, meta] = await uploadVersion(userId, version);
  let last: Counters = versionCounters(meta);
  // In order: each command's answer counts everything before it, so the last one's is the request's.
  for (let i = 0; i < sessions.length; i += BACKUP_KEYS_PER_COMMAND) {
    const command: KeysCommand = { kind: 'keys.backupPut', userId, version, sessions: sessions.slice(i, i + BACKUP_KEYS_PER_COMMAND) };
    last = await submit<Counters>('users', userId, command);
  }
  return last;
}

/** Delete backed-up keys of `version` (all, a room's or a session's); answers the version's etag and count. */
export async function deleteBackupKeys(userId: string, version: string, scope: { roomId?: string; sessionId?: string } = {}): Promise<Counters> {
  await requireVersion(userId, version);
  return deleteUntilDone({ kind: 'keys.backupDelete', userId, version, ...scope });
}

async function deleteUntilDone(command: KeysCommandOf<'keys.backupDelete'>): Promise<Counters> {
  for (;;) {
    const { etag, count, more } = await submit<Counters & { more: boolean }>('users', command.userId, command);
    if (!more) return { etag, count };
  }
}

export async function deleteBackupVersion(userId: string, version: string): Promise<void> {
  await requireVersion(userId, version);
  const command: KeysCommand = { kind: 'keys.backupVersionDelete', userId, version };
  await submit('users', userId, command);
  await deleteUntilDone({ kind: 'keys.backupDelete', userId, version, purge: true });
}

export async function updateBackupVersion(userId: string, version: string, algorithm: string, authData: Record<string, unknown>): Promise<void> {
  await requireVersion(userId, version);
  const command: KeysCommand = { kind: 'keys.backupVersionUpdate', userId, version, algorithm, authData };
  await submit('users', userId, command);
}
