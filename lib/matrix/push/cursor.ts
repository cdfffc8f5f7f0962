// A connection's cursor: the sync token of the last frame pushed to it, which the client uses as
// `since` after a reconnect. A token covers every lane of the rooms depot (lib/core/partitions.ts)
// but a push covers one event of one lane, so a push moves only that lane's position — and only
// when that cannot skip an event the connection never got (a lane's records are applied, and
// their events pushed, one at a time):
// - an event at or below the cursor's position on its lane is already covered: no frame;
// - events above the connection's `floor` (the watermarks read once it was registered) are all
//   pushed to it, so from at or above the floor the lane moves to the pushed event;
// - below the floor (the client connected with an older `since`), events between the cursor and
//   the floor may never have been pushed: the lane stays put, so a catch-up sync repeats some
//   pushed events rather than miss any.
import { decodeSyncToken, encodeSyncToken, NOTHING } from '../sync/token.ts';

/** The floor of a connection whose $connect has not finished. */
export const PENDING_FLOOR = '';

/** The cursor with the rooms position of one lane set back to `to` (undoing a step). */
export function withLanePosition(cursor: string, lane: string, to: string | undefined): string {
  const position = decodeSyncToken(cursor);
  const rooms: Record<string, string> = { ...position.rooms };
  if (to === undefined || to === NOTHING) delete rooms[lane];
  else rooms[lane] = to;
  return encodeSyncToken({ ...position, rooms });
}

export type CursorStep =
  /** The event is already covered by the cursor, or the connection is still being registered. */
  | { kind: 'covered' }
  /** Push it; `next` is the frame's next_batch (and the new cursor, when it differs). */
  | { kind: 'push'; next: string };

/** What pushing an event at `seq` (sequencePosition form) on rooms lane `lane` does to a cursor. */
export function stepCursor(cursor: string, floor: string, lane: string, seq: string): CursorStep {
  // No floor yet: $connect has not read the watermarks; the event is at or below them.
  if (floor === PENDING_FLOOR) return { kind: 'covered' };
  const position = decodeSyncToken(cursor);
  const at = position.rooms[lane] ?? NOTHING;
  if (seq <= at) return { kind: 'covered' };
  const floorAt = decodeSyncToken(floor).rooms[lane] ?? NOTHING;
  if (at < floorAt) return { kind: 'push', next: cursor };
  return { kind: 'push', next: encodeSyncToken({ ...position, rooms: { ...position.rooms, [lane]: seq } }) };
}

/**
 * The cursor once the client says it has everything up to `since` (a /sync next_batch it caught
 * up with): per lane the later of the two. Events pushed meanwhile at or below it are covered.
 */
export function mergeCursor(cursor: string, since: string): string {
  const a = decodeSyncToken(cursor);
  const b = decodeSyncToken(since);
  const later = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>) => {
    const out: Record<string, string> = { ...x };
    for (const [shard, seq] of Object.entries(y)) if (seq > (out[shard] ?? NOTHING)) out[shard] = seq;
    return out;
  };
  // The ephemeral cursor is not ordered by shard alone (it has a time): the caught-up one wins.
  const ephemeral = b.ephemeral ?? a.ephemeral;
  return encodeSyncToken({ rooms: later(a.rooms, b.rooms), accountData: later(a.accountData, b.accountData), ...(ephemeral ? { ephemeral } : {}) });
}
