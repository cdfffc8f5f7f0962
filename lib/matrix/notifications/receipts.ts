// Read receipts clear notification counts, folded by the ephemeral microbatch: the writes join
// the batch's transaction with its checkpoint (exactly once). Each is guarded by the position it
// read, so an increment the rooms topology lands in between fails the batch, which is folded
// again from fresh reads.
import { getMany, type WriteOp } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { clearsRoomCounts, eventNotification, receiptEffect, recountedCounts, type UnreadCounts } from '../notification-counts.ts';
import { roomTimeline } from '../pstates.ts';
import { countsPath } from './counts.ts';
import { loadMemberPushFacts, loadPushRulesets } from './room-facts.ts';

/** At most this many events after a receipt are evaluated again (the newest ones). */
export const RECOUNT_LIMIT = 200;

export interface FoldedReceipt {
  roomId: string;
  userId: string;
  threadId: string;
  /** The read event's position in the room. */
  position: number;
}

/** The counts of the events after `from` up to `to`, by the user's rules. */
async function recount(roomId: string, userId: string, stored: UnreadCounts, from: number, to: number): Promise<UnreadCounts> {
  // Timeline index = position - 1: positions (from, to] are indexes [max(from, to - limit), to).
  const start = Math.max(from, to - RECOUNT_LIMIT);
  const [page, facts, rulesets] = await Promise.all([
    roomTimeline.key(roomId).range({ from: start, to, limit: RECOUNT_LIMIT, consistent: true }),
    loadMemberPushFacts(roomId, userId),
    loadPushRulesets([userId]),
  ]);
  const ruleset = rulesets.get(userId)!;
  const notifications = page.entries.map(([, entry]) => eventNotification(ruleset, entry.event as RoomEvent, userId, facts));
  return recountedCounts(stored, from, notifications);
}

/** The count writes of a batch's receipts (the newest per user and room; threaded ones aside). */
export async function receiptCountOps(receipts: readonly FoldedReceipt[]): Promise<WriteOp[]> {
  const newest = new Map<string, FoldedReceipt>();
  for (const r of receipts) {
    if (!clearsRoomCounts(r.threadId)) continue;
    const key = `${r.userId}\u0000${r.roomId}`;
    const seen = newest.get(key);
    if (!seen || r.position > seen.position) newest.set(key, r);
  }
  const list = [...newest.values()];
  if (list.length === 0) return [];
  const stored = await getMany(list.map((r) => countsPath(r.userId, r.roomId)), { consistent: true });
  const ops: WriteOp[] = [];
  await Promise.all(
    list.map(async (r, i) => {
      const s = stored[i];
      const before: UnreadCounts | undefined = s
        ? { notifications: s.notifications ?? 0, highlights: s.highlights ?? 0, position: s.position ?? 0, readPosition: s.readPosition ?? 0 }
        : undefined;
      const effect = receiptEffect(before, r.position);
      if (effect.kind === 'none') return;
      const counts = effect.kind === 'set' ? effect.counts : await recount(r.roomId, r.userId, before!, effect.from, effect.to);
      const path = countsPath(r.userId, r.roomId);
      ops.push(
        path.field('position').set(counts.position, s?.position !== undefined ? { ifEquals: s.position } : { ifAbsent: true }),
        path.field('notifications').set(counts.notifications),
        path.field('highlights').set(counts.highlights),
        path.field('readPosition').set(counts.readPosition),
      );
    }),
  );
  return ops;
}
