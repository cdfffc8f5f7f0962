// Walks a window of one room's timeline, keeping the events the viewer may see and the filter
// lets through, until `limit` are found, the window ends, or the scan budget is spent (then the
// continuation token lets the client go on: a short or empty chunk with an `end` is allowed).
import { readYourWrites } from './consistency.ts';
import { matchesEventFilter, type RoomEventFilterDefinition } from '../filters.ts';
import type { RoomEvent } from '../events.ts';
import { roomTimeline } from '../pstates.ts';
import { positionToken } from '../tokens.ts';
import { canSee, type Viewer } from './visibility.ts';
import { nextSlice, remainingWindow, type Window } from './window.ts';

/** At most this many timeline entries are read for one request, whatever is filtered out. */
export const SCAN_BUDGET = 2000;

export interface Walk {
  /** The kept events, in scan order. */
  events: RoomEvent[];
  /** Continues the walk; undefined when nothing remains in the window. */
  next?: string;
  /** The point just past the last position looked at (the `from` point when none was). */
  edge: string;
}

export async function walkTimeline(
  roomId: string,
  viewer: Viewer,
  window: Window | undefined,
  limit: number,
  filter: RoomEventFilterDefinition | undefined,
  fromPoint: number,
): Promise<Walk> {
  const events: RoomEvent[] = [];
  let remaining = window;
  let scannedCount = 0;
  let lastScanned: number | undefined;
  while (remaining && events.length < limit && scannedCount < SCAN_BUDGET) {
    const size = Math.min(SCAN_BUDGET - scannedCount, Math.max(limit - events.length, 20), 200);
    const slice = nextSlice(remaining, size);
    const page = await roomTimeline.key(roomId).range({ from: slice.fromIndex, to: slice.toIndex, reverse: slice.reverse, limit: size, ...readYourWrites });
    // Where this slice ends if every entry is looked at (covers missing entries too).
    let scanned = slice.reverse ? slice.fromIndex + 1 : slice.toIndex;
    for (const [index, entry] of page.entries) {
      scannedCount++;
      if (canSee(viewer, entry.event, entry.visibility) && matchesEventFilter(filter, entry.event)) events.push(entry.event);
      if (events.length === limit) {
        scanned = index + 1;
        break;
      }
    }
    if (page.entries.length === 0) scannedCount += size;
    lastScanned = scanned;
    remaining = remainingWindow(remaining, scanned);
  }
  const edge =
    lastScanned === undefined ? positionToken(fromPoint) : positionToken(window!.dir === 'b' ? lastScanned - 1 : lastScanned);
  return { events, edge, ...(remaining ? { next: edge } : {}) };
}
