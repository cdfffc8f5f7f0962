// The activity index (roomActivity): per user, the rooms a sliding sync list may hold (joined,
// invited, knocked), keyed so that key order is activity order: `activityKey(bump stamp, room id)`.
// A window of the newest N rooms is one Query with Limit N, and a list's count is the map's size.
//
// Who writes it, exactly once in effect:
// - a membership change, in the rooms topology's own commit (RoomWriter): the member's entry is
//   written under the room's stamp, or removed when they leave, are banned, or are kicked;
// - a bump (BUMP_EVENT_TYPES), after the commit, before the wake-ups: for each listed member, the
//   entry under the room's prior stamp is replaced by one under its new stamp. One commit cannot
//   hold it (a room's members are unbounded; a transaction takes 100 items), so the commit records
//   both stamps in roomInfo (bumpStamp, priorBumpStamp) and this fan-out works from them: a
//   redelivery (the record is retried until its fan-out is done, and the room's next record waits
//   for it) replaces the same keys again, a no-op. Cost: a bump writes 2 items per listed member.
// - a user's memberships from before the index existed: built once, on their first sliding sync
//   (lib/matrix/sliding-sync/activity.ts).
// Readers check each entry they use against roomInfo and memberRooms (an entry read between a
// bump's commit and its fan-out is under the prior stamp; one written by a first-use build racing
// a bump may be stale), so the index decides which rooms to read, never what they say.
import { inPool } from '../../core/concurrency.ts';
import { commit, type WriteOp } from '../../core/pstate/index.ts';
import { roomActivity, roomInfo, roomMembers } from '../pstates.ts';

/**
 * Whether the deployment keeps the index (AXON_ACTIVITY_INDEX=on: the stack's `activityIndex`
 * context, `npm start`'s environment). Off by default: a bump costs two item writes per listed
 * member, which cut a 30-member room's send throughput about fourfold locally; without the index,
 * sliding sync reads all of a user's rooms for a window (lib/matrix/sliding-sync/pass.ts).
 */
export function activityIndexKept(): boolean {
  return process.env.AXON_ACTIVITY_INDEX === 'on';
}

/** Memberships a room list shows (a left room only while a connection still has it: not indexed). */
export const LISTED_MEMBERSHIPS: ReadonlySet<string> = new Set(['join', 'invite', 'knock']);

const STAMP_DIGITS = 16;

/** The index key: the stamp zero-padded (string order = numeric order), then the room id. */
export function activityKey(bumpStamp: number, roomId: string): string {
  return `${String(Math.max(0, Math.floor(bumpStamp))).padStart(STAMP_DIGITS, '0')}\u0000${roomId}`;
}

export function parseActivityKey(key: string): { bumpStamp: number; roomId: string } {
  const cut = key.indexOf('\u0000');
  return { bumpStamp: Number(key.slice(0, cut)), roomId: key.slice(cut + 1) };
}

/**
 * A member's entry after a membership change in a commit: under `stamp` (the room's stamp once the
 * commit is in) when listed, else removed (under the stamps it may be under).
 */
export function memberActivityWrites(userId: string, roomId: string, membership: string, stamps: { before: number; after: number }): WriteOp[] {
  const user = roomActivity.key(userId);
  if (LISTED_MEMBERSHIPS.has(membership)) {
    const ops = [user.key(activityKey(stamps.after, roomId)).set(membership)];
    if (stamps.before !== stamps.after) ops.push(user.key(activityKey(stamps.before, roomId)).remove());
    return ops;
  }
  return [...new Set([stamps.before, stamps.after])].map((stamp) => user.key(activityKey(stamp, roomId)).remove());
}

const FAN_OUT_CONCURRENCY = 16;
const MEMBERS_PAGE = 500;

/**
 * After a rooms record's commit: when it bumped the room (roomInfo's bumpStamp is the record's
 * arrival and a prior stamp is recorded), move every listed member's entry to the new stamp.
 * Returns how many members' entries were moved.
 */
export async function fanOutBump(roomId: string, arrivedAt: number): Promise<number> {
  if (!activityIndexKept()) return 0;
  const info = await roomInfo.key(roomId).fields(['bumpStamp', 'priorBumpStamp'], { consistent: true });
  const stamp = info?.bumpStamp;
  const prior = info?.priorBumpStamp;
  // Equal stamps (a new room, two bumps in one millisecond): every entry is under its key already.
  if (stamp === undefined || prior === undefined || stamp !== arrivedAt || prior === stamp) return 0;
  const listed = (await roomMembers.key(roomId).entries({ consistent: true, limit: MEMBERS_PAGE })).filter(([, m]) => LISTED_MEMBERSHIPS.has(m.membership ?? ''));
  await inPool(listed, FAN_OUT_CONCURRENCY, async ([userId, m]) => {
    await commit(memberActivityWrites(userId, roomId, m.membership!, { before: prior, after: stamp }));
  });
  return listed.length;
}
