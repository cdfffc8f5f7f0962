// GET /notifications: the events that notified the user, newest first, found at read time rather
// than logged per member per event (that would be one more write per notified member per event
// for an endpoint few clients call). For each room the user is joined to now (at most
// MAX_NOTIFICATION_ROOMS), the newest ROOM_SCAN_DEPTH events since the user's join are evaluated
// with the user's current rules; `read` compares the event with the user's folded read receipt.
// Cost per request: ≤ MAX_NOTIFICATION_ROOMS × (one timeline Query + one BatchGet). Older
// notifications than each room's scan window are not listed.
import { inPool } from '../../core/concurrency.ts';
import { getMany } from '../../core/pstate/index.ts';
import { invalidParam } from '../errors.ts';
import type { RoomEvent } from '../events.ts';
import { eventNotification } from '../notification-counts.ts';
import type { PushAction } from '../push-rules.ts';
import { memberRooms, roomTimeline } from '../pstates.ts';
import { countsPath } from './counts.ts';
import { loadMemberPushFacts, loadPushRulesets } from './room-facts.ts';

export const MAX_NOTIFICATION_ROOMS = 50;
export const ROOM_SCAN_DEPTH = 200;
export const DEFAULT_NOTIFICATIONS_LIMIT = 20;
export const MAX_NOTIFICATIONS_LIMIT = 100;
const PARALLEL_ROOMS = 8;

export interface NotificationEntry {
  roomId: string;
  event: RoomEvent;
  actions: PushAction[];
  read: boolean;
  ts: number;
}

/** Where a page ends: the last entry's (ts, event id); the next page starts strictly after it. */
interface Boundary {
  ts: number;
  eventId: string;
}

/** Newest first; ties by event id, so the order is total and pages neither repeat nor skip. */
const newerFirst = (a: Boundary, b: Boundary) => b.ts - a.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

export function encodeNotificationsToken(b: Boundary): string {
  return Buffer.from(JSON.stringify([b.ts, b.eventId])).toString('base64url');
}

export function decodeNotificationsToken(token: string): Boundary {
  try {
    const [ts, eventId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof ts === 'number' && Number.isInteger(ts) && typeof eventId === 'string') return { ts, eventId };
  } catch {
    // fall through
  }
  throw invalidParam('Unknown from token');
}

async function joinedWithPositions(userId: string): Promise<{ roomId: string; since: number }[]> {
  const rooms: { roomId: string; since: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ limit: 500, ...(cursor ? { cursor } : {}) });
    for (const [roomId, room] of page.entries) if (room.membership === 'join') rooms.push({ roomId, since: room.position ?? 0 });
    cursor = page.cursor;
  } while (cursor);
  return rooms.slice(0, MAX_NOTIFICATION_ROOMS);
}

export async function listNotifications(
  userId: string,
  options: { from?: string; limit: number; onlyHighlight: boolean },
): Promise<{ entries: NotificationEntry[]; next?: string }> {
  const after = options.from !== undefined ? decodeNotificationsToken(options.from) : undefined;
  const [rooms, rulesets] = await Promise.all([joinedWithPositions(userId), loadPushRulesets([userId])]);
  const ruleset = rulesets.get(userId)!;
  const reads = await getMany(rooms.map((r) => countsPath(userId, r.roomId)));
  const found: NotificationEntry[] = [];
  await inPool(rooms, PARALLEL_ROOMS, async ({ roomId, since }, i) => {
    const readPosition = reads[i]?.readPosition ?? 0;
    // Timeline index = position - 1: the events after the join are indexes ≥ its position.
    const [page, facts] = await Promise.all([
      roomTimeline.key(roomId).range({ from: since, reverse: true, limit: ROOM_SCAN_DEPTH }),
      loadMemberPushFacts(roomId, userId),
    ]);
    for (const [, entry] of page.entries) {
      const event = entry.event as RoomEvent;
      const n = eventNotification(ruleset, event, userId, facts);
      if (!n || (options.onlyHighlight && !n.highlight)) continue;
      const ts = event.origin_server_ts;
      if (after && newerFirst(after, { ts, eventId: event.event_id }) >= 0) continue;
      found.push({ roomId, event, actions: n.actions, read: event.depth <= readPosition, ts });
    }
  });
  found.sort((a, b) => newerFirst({ ts: a.ts, eventId: a.event.event_id }, { ts: b.ts, eventId: b.event.event_id }));
  const entries = found.slice(0, options.limit);
  const last = entries.at(-1);
  return { entries, ...(found.length > options.limit && last ? { next: encodeNotificationsToken({ ts: last.ts, eventId: last.event.event_id }) } : {}) };
}
