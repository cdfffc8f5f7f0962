// The notificationCounts PState: reads for /sync and the guarded writes the topologies make.
import { commit, getMany, isConditionFailed, type WriteOp } from '../../core/pstate/index.ts';
import { WriteConflict } from '../../core/pstate/index.ts';
import type { UnreadCounts } from '../notification-counts.ts';
import { notificationCounts } from '../pstates.ts';

export const countsKey = (userId: string, roomId: string): string => `${userId}\u0000${roomId}`;

export const countsPath = (userId: string, roomId: string) => notificationCounts.key(countsKey(userId, roomId));

/** Counted events of one record for one member: positions ascending. */
export interface CountedEvents {
  userId: string;
  positions: number[];
  highlights: number;
}

/**
 * Add a record's notifying events to a member's counts, once: the increment applies only while
 * the stored position is below the record's first event, and moves it to the last. A redelivered
 * record, or a receipt already past the events, finds the position at or above them: no change.
 * One UpdateItem, no read.
 */
export async function addCounted(roomId: string, counted: CountedEvents): Promise<boolean> {
  const path = countsPath(counted.userId, roomId);
  const first = counted.positions[0]!;
  const last = counted.positions.at(-1)!;
  const ops: WriteOp[] = [
    path.field('position').set(last, { ifBelow: first }),
    path.field('notifications').increment(counted.positions.length),
  ];
  if (counted.highlights > 0) ops.push(path.field('highlights').increment(counted.highlights));
  try {
    await commit(ops);
    return true;
  } catch (e) {
    if (isConditionFailed(e) || e instanceof WriteConflict) return false;
    throw e;
  }
}

/** Stored counts of these rooms for the user (eventually consistent: a sync reads them after its cut). */
export async function readCounts(userId: string, roomIds: readonly string[], consistent = false): Promise<(UnreadCounts | undefined)[]> {
  if (roomIds.length === 0) return [];
  const stored = await getMany(roomIds.map((roomId) => countsPath(userId, roomId)), { consistent });
  return stored.map((s) => (s ? { notifications: s.notifications ?? 0, highlights: s.highlights ?? 0, position: s.position ?? 0, readPosition: s.readPosition ?? 0 } : undefined));
}
