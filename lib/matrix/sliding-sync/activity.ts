// Reading the activity index (roomActivity, kept by the rooms topology for users of sliding sync:
// lib/matrix/rooms/activity-index.ts) for sliding sync: the newest N rooms of a user with a bounded
// number of reads, whatever the number of their rooms, and the number of rooms a list over them holds.
//
// A user's first sliding sync flags them (from then on the topology keeps their entries) and then
// builds their entries from their memberships (one pass over their rooms, once per user; each
// entry written only if the room's stamp and the membership are still the ones read, else read
// again). Readers check every entry against roomInfo and memberRooms anyway (pass.ts).
import { commit } from '../../core/pstate/index.ts';
import { memberRooms, roomActivity, roomActivityBuilt } from '../pstates.ts';
import { LISTED_MEMBERSHIPS, parseActivityKey, reconcileActivity } from '../rooms/activity-index.ts';

/**
 * Keep the user's index from now on, and build it from their memberships once (flag first: a
 * membership change committed after the flag is the topology's to index, one committed before is
 * in the memberships read after it). A build cut short is finished by the next request.
 * Returns whether it built.
 */
export async function ensureActivityIndex(userId: string, now = Date.now()): Promise<boolean> {
  const flag = await roomActivityBuilt.key(userId).get({ consistent: true });
  if (flag?.builtAt !== undefined) return false;
  if (flag?.flaggedAt === undefined) await commit([roomActivityBuilt.key(userId).field('flaggedAt').set(now)]);
  const rooms = (await memberRooms.key(userId).entries({ consistent: true, limit: 500 })).filter(
    ([, m]) => LISTED_MEMBERSHIPS.has(m.membership ?? '') && !m.forgotten,
  );
  await reconcileActivity(userId, rooms.map(([roomId]) => roomId));
  await commit([roomActivityBuilt.key(userId).field('builtAt').set(now)]);
  return true;
}

export interface ActivityWindow {
  /** Distinct rooms, newest entry first (an entry may be stale: check it). */
  roomIds: string[];
  /** Every entry of the index was read. */
  exhausted: boolean;
}

/** The rooms of the user's `limit` newest entries (a Query, paged by DynamoDB's 1 MB only). */
export async function newestRooms(userId: string, limit: number): Promise<ActivityWindow> {
  const page = await roomActivity.key(userId).range({ reverse: true, limit, consistent: true });
  const roomIds = [...new Set(page.entries.map(([key]) => parseActivityKey(key).roomId))];
  return { roomIds, exhausted: page.cursor === undefined };
}

/** How many entries the user's index holds: the rooms a list without filters counts (one GetItem). */
export function indexedRoomCount(userId: string): Promise<number> {
  return roomActivity.key(userId).count({ consistent: true });
}
