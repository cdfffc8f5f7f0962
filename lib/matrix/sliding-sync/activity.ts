// Reading the activity index (roomActivity, kept by the rooms topology: lib/matrix/rooms/activity-index.ts)
// for sliding sync: the newest N rooms of a user with a bounded number of reads, whatever the number
// of their rooms, and the number of rooms a list over them holds.
//
// Rooms joined before the index existed are not in it: the user's first sliding sync builds their
// entries from memberRooms and roomInfo (one pass over their rooms, once per user; recorded in
// roomActivityBuilt). A bump or membership change racing that build can leave an entry under a
// stale stamp: readers check every entry against roomInfo and memberRooms anyway (pass.ts), and
// the stale one is skipped.
import { commit, getMany, map, number, pstate, string, type WriteOp } from '../../core/pstate/index.ts';
import { MAX_TRANSACTION_ITEMS } from '../../core/table-writes.ts';
import { memberRooms, roomActivity, roomInfo } from '../pstates.ts';
import { activityKey, LISTED_MEMBERSHIPS, parseActivityKey } from '../rooms/activity-index.ts';

/** user id → when their roomActivity entries were built from their memberships (absent: not yet). */
export const roomActivityBuilt = pstate('roomActivityBuilt', map(string(), number()));

/** Entries one build commit writes (each also counts in the user's parent item). */
const BUILD_CHUNK = MAX_TRANSACTION_ITEMS - 2;

/** Build the user's entries once (rooms joined before the index existed). Returns whether it built. */
export async function ensureActivityIndex(userId: string, now = Date.now()): Promise<boolean> {
  if ((await roomActivityBuilt.key(userId).get({ consistent: true })) !== undefined) return false;
  const rooms = (await memberRooms.key(userId).entries({ consistent: true, limit: 500 })).filter(
    ([, m]) => LISTED_MEMBERSHIPS.has(m.membership ?? '') && !m.forgotten,
  );
  const infos = await getMany(rooms.map(([roomId]) => roomInfo.key(roomId)), { consistent: true });
  const ops: WriteOp[] = rooms.flatMap(([roomId, m], i) => {
    const info = infos[i];
    return info ? [roomActivity.key(userId).key(activityKey(info.bumpStamp ?? info.createdTs ?? 0, roomId)).set(m.membership!)] : [];
  });
  for (let i = 0; i < ops.length; i += BUILD_CHUNK) await commit(ops.slice(i, i + BUILD_CHUNK));
  await commit([roomActivityBuilt.key(userId).set(now)]);
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
