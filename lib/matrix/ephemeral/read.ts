// Reads of ephemeral state outside sync: GET /presence/{userId}/status.
import { getMany } from '../../core/pstate/index.ts';
import { forbidden } from '../errors.ts';
import { memberRooms, presence, roomMembers } from '../pstates.ts';
import { presenceView, type PresenceView, type StoredPresence } from './presence.ts';

/** Rooms checked per BatchGet when looking for a room two users share. */
const ROOMS_PER_READ = 100;

/** Whether the two users are both joined to some room (pages through `userId`'s rooms until one is found). */
export async function shareARoom(userId: string, otherId: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ limit: ROOMS_PER_READ, ...(cursor ? { cursor } : {}) });
    const joined = page.entries.filter(([, m]) => m.membership === 'join').map(([roomId]) => roomId);
    if (joined.length) {
      const theirs = await getMany(joined.map((roomId) => roomMembers.key(roomId).key(otherId)));
      if (theirs.some((m) => m?.membership === 'join')) return true;
    }
    cursor = page.cursor;
  } while (cursor);
  return false;
}

/**
 * `subject`'s presence as `viewer` may see it now. As Synapse: users see their own presence and
 * that of users they share a joined room with; anyone else (an unknown user included, so the
 * answer does not tell who exists) is 403 M_FORBIDDEN.
 */
export async function readPresence(viewer: string, subject: string, now = Date.now()): Promise<PresenceView> {
  if (viewer !== subject && !(await shareARoom(viewer, subject))) throw forbidden('You are not allowed to see their presence.');
  const stored = await presence.key(subject).get({ consistent: true });
  return presenceView(stored?.shardId ? (stored as StoredPresence) : undefined, now);
}
