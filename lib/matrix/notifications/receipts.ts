// Read receipts reset notification counts, folded by the ephemeral microbatch: the writes join
// the batch's transaction with its checkpoint (exactly once). The member items and the rooms'
// tallies are read first, then the events between the receipt and the tally (or the member's
// exceptions) are evaluated: the baseline becomes the tally at the receipt and the exceptions
// those of the events after it (lib/matrix/notification-counts.ts). Each write is guarded by the
// member item's position as read, so an exception the rooms topology lands in between fails the
// batch, which is folded again from fresh reads; a tally increment without one for this member
// changes nothing this receipt relies on.
import type { WriteOp } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { baseNotification, clearsRoomCounts, countsAfterReceipt, eventNotification, receiptWindow, type EvaluatedEvent } from '../notification-counts.ts';
import { roomTimeline } from '../pstates.ts';
import { countsPath, readMany, type StoredCounts } from './counts.ts';
import { loadMemberPushFacts, loadPushRulesets } from './room-facts.ts';

/** At most this many events around a receipt are evaluated (the newest ones). */
export const RECOUNT_LIMIT = 200;

export interface FoldedReceipt {
  roomId: string;
  userId: string;
  threadId: string;
  /** The read event's position in the room. */
  position: number;
}

/** The reader's outcome and the base of the events in positions (from, to]. */
async function evaluate(roomId: string, userId: string, from: number, to: number): Promise<EvaluatedEvent[]> {
  if (to <= from) return [];
  // Timeline index = position - 1: positions (from, to] are indexes [from, to).
  const [page, facts, rulesets] = await Promise.all([
    roomTimeline.key(roomId).range({ from, to, limit: RECOUNT_LIMIT, consistent: true }),
    loadMemberPushFacts(roomId, userId),
    loadPushRulesets([userId]),
  ]);
  const ruleset = rulesets.get(userId)!;
  return page.entries.map(([, entry]) => {
    const event = entry.event as RoomEvent;
    return { position: event.depth, own: eventNotification(ruleset, event, userId, facts), base: baseNotification(event, facts) };
  });
}

async function receiptOps(r: FoldedReceipt, stored: StoredCounts): Promise<WriteOp[]> {
  const window = receiptWindow(stored.member, stored.tally, r.position, RECOUNT_LIMIT);
  if (!window) return [];
  const events = await evaluate(r.roomId, r.userId, window.from, window.to);
  const counts = countsAfterReceipt(stored.tally, r.position, window, events);
  const path = countsPath(r.userId, r.roomId);
  const was = stored.member?.position;
  return [
    path.field('position').set(counts.position, was !== undefined ? { ifEquals: was } : { ifAbsent: true }),
    path.field('notifications').set(counts.notifications),
    path.field('highlights').set(counts.highlights),
    path.field('baseNotifications').set(counts.baseNotifications),
    path.field('baseHighlights').set(counts.baseHighlights),
    path.field('readPosition').set(counts.readPosition),
  ];
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
  // Items and tallies first (consistent), the events after: every event the tally counted is
  // committed before the tally moved, so the timeline read finds it.
  const stored = await readMany(list);
  const ops = await Promise.all(list.map((r, i) => receiptOps(r, stored[i]!)));
  return ops.flat();
}
