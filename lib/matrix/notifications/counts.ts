// The notificationCounts and roomNotificationTally PStates: paths and the reads /sync and the
// receipts fold make (lib/matrix/notification-counts.ts says what the numbers mean).
import { getMany } from '../../core/pstate/index.ts';
import type { MemberCounts, Tally } from '../notification-counts.ts';
import { notificationCounts, roomNotificationTally } from '../pstates.ts';

export const countsKey = (userId: string, roomId: string): string => `${userId}\u0000${roomId}`;

export const countsPath = (userId: string, roomId: string) => notificationCounts.key(countsKey(userId, roomId));

export const tallyPath = (roomId: string) => roomNotificationTally.key(roomId);

/** One member's stored counts and their room's tally (undefined: none stored). */
export interface StoredCounts {
  member: Partial<MemberCounts> | undefined;
  tally: Partial<Tally> | undefined;
}

/**
 * The user's stored counts in these rooms with each room's tally, in one BatchGetItem (the member
 * items and the tallies together). Consistent reads by default: counts are written before the
 * wake-ups of the events they count.
 */
export async function readCounts(userId: string, roomIds: readonly string[], consistent = true): Promise<StoredCounts[]> {
  return readMany(roomIds.map((roomId) => ({ userId, roomId })), consistent);
}

/** Stored counts of (user, room) pairs, with their rooms' tallies, in one BatchGetItem. */
export async function readMany(pairs: readonly { userId: string; roomId: string }[], consistent = true): Promise<StoredCounts[]> {
  if (pairs.length === 0) return [];
  const rooms = [...new Set(pairs.map((p) => p.roomId))];
  const stored = await getMany([...pairs.map((p) => countsPath(p.userId, p.roomId)), ...rooms.map(tallyPath)], { consistent });
  const tallies = new Map(rooms.map((roomId, i) => [roomId, stored[pairs.length + i] as Partial<Tally> | undefined]));
  return pairs.map((p, i) => ({ member: stored[i] as Partial<MemberCounts> | undefined, tally: tallies.get(p.roomId) }));
}
