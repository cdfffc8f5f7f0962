// The state delta of a limited incremental sync (as Synapse sends it): of the state before the
// timeline window, only the events set after the token, i.e. in the gap between the last sync and
// the window. A room's timeline positions carry non-decreasing depot positions (`seq`), so the
// events changed since the token are a suffix of the candidates sorted by depth: a binary search
// over the candidates finds it in O(log candidates) reads of timeline entries, never a scan of the
// gap (which may hold thousands of messages).
//
// A key whose newest event is in the window (or past the cut) is not in the candidates: its gap
// value is superseded by the timeline event (or by the next sync), so a client's state still ends
// right.
import type { RoomEvent } from '../events.ts';
import { roomTimeline } from '../pstates.ts';
import { NOTHING } from './token.ts';

/** The depot position (sequencePosition form) of the record that wrote the room's event at `position`. */
export async function seqAt(roomId: string, position: number): Promise<string> {
  const entry = await roomTimeline.key(roomId).key(position - 1).get({ consistent: true });
  return entry?.seq ?? NOTHING;
}

/** The events of `candidates` (state events of the room) whose record came after `lo` (sequencePosition form). */
export async function stateChangedSince(roomId: string, candidates: readonly RoomEvent[], lo: string): Promise<RoomEvent[]> {
  const sorted = [...candidates].sort((a, b) => a.depth - b.depth);
  if (lo === NOTHING || !sorted.length) return sorted;
  // Usually no state changed in the gap: one read settles it.
  if ((await seqAt(roomId, sorted[sorted.length - 1]!.depth)) <= lo) return [];
  // The first index whose seq is above lo (sorted.length: none).
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((await seqAt(roomId, sorted[mid]!.depth)) > lo) high = mid;
    else low = mid + 1;
  }
  return sorted.slice(low);
}
