// Read receipts: one per (receipt type, thread, user) in a room, only moving forward in the room.
// `m.read.private` receipts are their owner's alone: nobody else ever sees them.
import type { ReceiptType } from './commands.ts';

export interface StoredReceipt {
  eventId: string;
  ts: number;
  /** Empty when unthreaded. */
  threadId: string;
  position: number;
  seq: string;
}

export function receiptKey(type: ReceiptType, threadId: string, userId: string): string {
  return `${type}\u0000${threadId}\u0000${userId}`;
}

export function parseReceiptKey(key: string): { type: string; threadId: string; userId: string } {
  const [type = '', threadId = '', userId = ''] = key.split('\u0000');
  return { type, threadId, userId };
}

export function visibleTo(viewer: string, key: string): boolean {
  const { type, userId } = parseReceiptKey(key);
  return type !== 'm.read.private' || userId === viewer;
}

type ReceiptContent = Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>>;

/** The `m.receipt` event of these receipts (`content[eventId][type][userId]`), or undefined for none. */
export function receiptEvent(receipts: readonly (readonly [string, StoredReceipt])[]) {
  if (receipts.length === 0) return undefined;
  const content: ReceiptContent = {};
  for (const [key, r] of receipts) {
    const { type, userId } = parseReceiptKey(key);
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[type] ??= {});
    byUser[userId] = { ts: r.ts, ...(r.threadId !== '' ? { thread_id: r.threadId } : {}) };
  }
  return { type: 'm.receipt', content };
}
