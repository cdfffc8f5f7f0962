// GET /rooms/{roomId}/timestamp_to_event: the event closest to a time, in one direction. A binary
// search over the room's timeline (whose events are in position order and, on one server, in
// origin_server_ts order as the rooms topology stamps them) costs O(log n) single-item reads; a
// bounded scan from there skips events the user may not see.
import { invalidParam, missingParam, notFound } from '../errors.ts';
import { roomTimeline, type TimelineEntry } from '../pstates.ts';
import type { RoomView } from './access.ts';
import { readYourWrites } from './consistency.ts';
import { canSee } from './visibility.ts';

export type TimestampDirection = 'f' | 'b';

/** The most entries looked at past the search's landing point before answering 404. */
export const MAX_TIMESTAMP_SCAN = 500;
const PAGE = 50;

async function entryAt(roomId: string, position: number): Promise<TimelineEntry | undefined> {
  return roomTimeline.key(roomId).key(position - 1).get(readYourWrites);
}

/** The first position in [1, last] whose event satisfies `after` (monotone), or last + 1. */
async function firstPositionWhere(roomId: string, last: number, after: (ts: number) => boolean): Promise<number> {
  let lo = 1;
  let hi = last + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const entry = await entryAt(roomId, mid);
    if (entry && after(entry.event.origin_server_ts)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export async function eventByTimestamp(view: RoomView, ts: number, dir: TimestampDirection): Promise<{ event_id: string; origin_server_ts: number }> {
  const last = view.readableUpTo;
  const none = () => notFound(`Unable to find event from ${ts} in direction ${dir}`);
  if (last < 1) throw none();
  // Forwards: the first event at or after ts. Backwards: the last event at or before ts.
  const start = dir === 'f' ? await firstPositionWhere(view.roomId, last, (t) => t >= ts) : (await firstPositionWhere(view.roomId, last, (t) => t > ts)) - 1;
  if (start < 1 || start > last) throw none();
  const matches = (entry: TimelineEntry) =>
    (dir === 'f' ? entry.event.origin_server_ts >= ts : entry.event.origin_server_ts <= ts) && canSee(view.viewer, entry.event, entry.visibility);
  let scanned = 0;
  let cursor: string | undefined;
  const range = dir === 'f' ? { from: start - 1, to: last - 1, toInclusive: true } : { from: 0, to: start - 1, toInclusive: true, reverse: true };
  while (scanned < MAX_TIMESTAMP_SCAN) {
    const page = await roomTimeline.key(view.roomId).range({ ...range, limit: Math.min(PAGE, MAX_TIMESTAMP_SCAN - scanned), ...readYourWrites, ...(cursor ? { cursor } : {}) });
    for (const [, entry] of page.entries) {
      if (matches(entry)) return { event_id: entry.event.event_id, origin_server_ts: entry.event.origin_server_ts };
    }
    scanned += page.entries.length;
    if (!page.cursor || page.entries.length === 0) break;
    cursor = page.cursor;
  }
  throw none();
}

/** The query of GET /timestamp_to_event: `ts` an integer, `dir` f or b (Synapse's errors). */
export function parseTimestampQuery(query: URLSearchParams): { ts: number; dir: 'f' | 'b' } {
  const ts = query.get('ts');
  const dir = query.get('dir');
  if (ts === null) throw missingParam('Missing integer query parameter "ts"');
  if (!/^-?\d+$/.test(ts) || !Number.isSafeInteger(Number(ts))) throw invalidParam('Query parameter "ts" must be an integer');
  if (dir === null) throw missingParam('Missing string query parameter "dir"');
  if (dir !== 'f' && dir !== 'b') throw invalidParam('Query parameter "dir" must be one of ["f", "b"]');
  return { ts: Number(ts), dir };
}
