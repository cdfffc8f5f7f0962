// The activity index (roomActivity): per user of sliding sync, the rooms a list may hold (joined,
// invited, knocked), keyed so that key order is activity order: `activityKey(bump stamp, room id)`.
// A window of the newest N rooms is one Query with Limit N, and a list's count is the map's size.
//
// Kept only for users who use sliding sync, so that rooms where nobody does pay nothing for it:
// - a user's first sliding sync flags them (roomActivityBuilt.flaggedAt, written first), then builds
//   their entries from their memberships (lib/matrix/sliding-sync/activity.ts): `reconcileActivity`
//   per room, each write conditioned on the room's bumpStamp and the user's membership still being
//   the ones read, so a racing bump or membership change is never overwritten by a stale build (the
//   build reads again and writes what holds now);
// - the rooms a flagged user's index holds are recorded per room (roomActivityMembers, written in
//   the same transaction as the entry): whom a bump's fan-out moves;
// - after a rooms record's commit (lib/matrix/topologies/rooms.ts), before its wake-ups:
//   1. a membership change of a flagged user reconciles that user's entry for the room (same
//      conditioned write). The topology writes memberRooms, then reads the flag; the build writes
//      the flag, then reads memberRooms: with consistent reads one of them sees the other, so no
//      membership change slips between them;
//   2. a bump (BUMP_EVENT_TYPES) moves each flagged member's entry from the room's prior stamp to
//      its new one (both recorded in roomInfo by the commit), with BatchWriteItem (25 items a
//      request), no read per member. A room's records are applied one at a time and this work is
//      done before the next, so every entry of a roomActivityMembers member is under the prior
//      stamp (or under the new one already: written by a reconcile after the commit, or by an
//      earlier delivery of this record), and the move keeps the index's size exact. Rooms with no
//      flagged member: one Query (empty) per bump.
// Readers check each entry they use against roomInfo and memberRooms (an entry read between a
// commit and this work is under the prior stamp), so the index decides which rooms to read, never
// what they say.
import { commit, ConditionFailedError, getMany, moveElements, type WriteOp } from '../../core/pstate/index.ts';
import { backOff } from '../../core/backoff.ts';
import { memberRooms, roomActivity, roomActivityBuilt, roomActivityMembers, roomInfo } from '../pstates.ts';
import type { RoomEvent } from '../events.ts';

/**
 * Whether the deployment keeps the index (on unless AXON_ACTIVITY_INDEX=off: the stack's
 * `activityIndex` context, `npm start`'s environment). It costs only users of sliding sync: without
 * it, sliding sync reads all of a user's rooms for a window (lib/matrix/sliding-sync/pass.ts).
 */
export function activityIndexKept(): boolean {
  return process.env.AXON_ACTIVITY_INDEX !== 'off';
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

/** Rooms one reconcile commit covers: ≤ 6 items each (two checks, entry, prior entry, member and its count) + the index's count. */
const RECONCILE_CHUNK = 12;
const RECONCILE_ATTEMPTS = 12;

/** The ops that make `userId`'s entry for each room what their membership and the room's stamp say now, conditioned on both (exported for tests). */
export async function reconcileOps(userId: string, roomIds: readonly string[]): Promise<WriteOp[]> {
  const read = await getMany([...roomIds.map((r) => memberRooms.key(userId).key(r)), ...roomIds.map((r) => roomInfo.key(r))], { consistent: true });
  const ops: WriteOp[] = [];
  roomIds.forEach((roomId, i) => {
    const m = read[i] as { membership?: string; eventId?: string; forgotten?: boolean } | undefined;
    const info = read[roomIds.length + i] as { bumpStamp?: number; priorBumpStamp?: number; createdTs?: number } | undefined;
    const membership = memberRooms.key(userId).key(roomId);
    ops.push(m?.eventId !== undefined ? membership.field('eventId').check({ ifEquals: m.eventId }) : membership.check({ ifAbsent: true }));
    const stampField = roomInfo.key(roomId).field('bumpStamp');
    ops.push(info?.bumpStamp !== undefined ? stampField.check({ ifEquals: info.bumpStamp }) : stampField.check({ ifAbsent: true }));
    const stamp = info?.bumpStamp ?? info?.createdTs ?? 0;
    const stamps = [...new Set([stamp, ...(info?.priorBumpStamp !== undefined ? [info.priorBumpStamp] : [])])];
    const entries = roomActivity.key(userId);
    const member = roomActivityMembers.key(roomId).key(userId);
    if (info && m?.membership && LISTED_MEMBERSHIPS.has(m.membership) && !m.forgotten) {
      ops.push(entries.key(activityKey(stamp, roomId)).set(m.membership), member.set(m.membership));
      for (const other of stamps) if (other !== stamp) ops.push(entries.key(activityKey(other, roomId)).remove());
    } else {
      ops.push(...stamps.map((s) => entries.key(activityKey(s, roomId)).remove()), member.remove());
    }
  });
  return ops;
}

/**
 * Make `userId`'s index entries for `roomIds` hold what their memberships and the rooms' stamps
 * say now: an entry under the room's stamp (and the user among the room's indexed members) while
 * the membership is listed, none otherwise. Each commit holds only if what it was made from still
 * holds; when a bump or membership change got in between, it is made again from a fresh read.
 */
export async function reconcileActivity(userId: string, roomIds: readonly string[]): Promise<void> {
  const chunks: string[][] = [];
  for (let i = 0; i < roomIds.length; i += RECONCILE_CHUNK) chunks.push(roomIds.slice(i, i + RECONCILE_CHUNK));
  for (let attempt = 1; chunks.length; ) {
    const chunk = chunks.shift()!;
    try {
      await commit(await reconcileOps(userId, chunk));
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      // A busy room fails its chunk again and again: apart, the others go through.
      if (chunk.length > 1) chunks.unshift(chunk.slice(0, chunk.length >> 1), chunk.slice(chunk.length >> 1));
      else if (attempt++ < RECONCILE_ATTEMPTS) {
        await backOff(attempt, { baseMs: 10, maxMs: 500 });
        chunks.unshift(chunk);
      } else throw e;
    }
  }
}

const MEMBERS_PAGE = 1000;

/**
 * After a rooms record's commit: when it bumped the room (roomInfo's bumpStamp is the record's
 * arrival and a prior stamp is recorded), move every indexed member's entry to the new stamp.
 * Returns how many members' entries were moved.
 */
export async function fanOutBump(roomId: string, arrivedAt: number): Promise<number> {
  if (!activityIndexKept()) return 0;
  const members = await roomActivityMembers.key(roomId).entries({ consistent: true, limit: MEMBERS_PAGE });
  if (!members.length) return 0;
  const info = await roomInfo.key(roomId).fields(['bumpStamp', 'priorBumpStamp'], { consistent: true });
  const stamp = info?.bumpStamp;
  const prior = info?.priorBumpStamp;
  // Equal stamps (a new room, two bumps in one millisecond): every entry is under its key already.
  if (stamp === undefined || prior === undefined || stamp !== arrivedAt || prior === stamp) return 0;
  await moveElements(
    members.map(([userId, membership]) => ({
      from: roomActivity.key(userId).key(activityKey(prior, roomId)).location(),
      to: roomActivity.key(userId).key(activityKey(stamp, roomId)).location(),
      value: membership,
    })),
  );
  return members.length;
}

/** The users whose membership the events change. */
export function membershipTargetsOf(events: readonly RoomEvent[]): string[] {
  return [...new Set(events.filter((e) => e.type === 'm.room.member' && e.state_key !== undefined).map((e) => e.state_key!))];
}

/**
 * A rooms record's index work, after its commit: the entries of the flagged users whose membership
 * it changed, then the bump's fan-out. `targets`: whose membership it may have changed; `bumped`:
 * whether it appended activity. Exactly once in effect however often it runs.
 */
export async function keepActivityIndex(roomId: string, arrivedAt: number, change: { targets: readonly string[]; bumped: boolean }): Promise<void> {
  if (!activityIndexKept()) return;
  if (change.targets.length) {
    const flags = await getMany(change.targets.map((u) => roomActivityBuilt.key(u)), { consistent: true });
    const flagged = change.targets.filter((_, i) => flags[i]?.flaggedAt !== undefined);
    await Promise.all(flagged.map((userId) => reconcileActivity(userId, [roomId])));
  }
  if (change.bumped) await fanOutBump(roomId, arrivedAt);
}
