// One room's timeline window for a sync: the newest events with lo < seq <= hi (the entries a
// previous token did not cover, up to the cut), read backwards from the end of the room with
// `limit + 1` matching entries, so `limited` says whether older ones were left out.
import type { RoomEvent } from '../events.ts';
import { membershipHistory, roomTimeline, type TimelineEntry } from '../pstates.ts';
import { canSee, membershipAt, type MembershipChange } from '../timeline/visibility.ts';

export interface TimelineWindow {
  /** Oldest first. */
  events: RoomEvent[];
  /** The depot position (sequencePosition form) of each event, aligned with `events`. */
  seqs: string[];
  limited: boolean;
  /** Position of the newest event at or below the cut (0: none), whatever the filter kept. */
  topPosition: number;
  /** Position of the first event the window covers (the state section is the state before it). */
  startPosition: number;
}

export interface WindowOptions {
  roomId: string;
  userId: string;
  lo: string;
  hi: string;
  limit: number;
  /** Only entries at or below this position (a left room's timeline ends at the leave). */
  maxPosition?: number;
  /** The timeline filter (types, senders); visibility is checked here. */
  accept: (event: RoomEvent) => boolean;
  /** The user's current membership and its position: events after a join need no history read. */
  membership: { membership: string; position: number };
}

const PAGE = 50;

export async function readTimelineWindow(options: WindowOptions): Promise<TimelineWindow> {
  const { roomId, userId, lo, hi, limit } = options;
  const visible = entryVisibility(roomId, userId, options.membership);
  const picked: RoomEvent[] = [];
  const pickedSeqs: string[] = [];
  let topPosition = 0;
  let oldestSeen = Number.MAX_SAFE_INTEGER;
  let reachedStart = false;
  // Filters can hide most of a room: bound the scan, and call what it could not look at limited.
  let budget = Math.max(limit * 10, 500);
  let cursor: string | undefined;
  scan: do {
    const page = await roomTimeline.key(roomId).range({
      reverse: true,
      consistent: true,
      limit: Math.min(PAGE, limit + 1),
      ...(options.maxPosition !== undefined ? { to: options.maxPosition - 1, toInclusive: true } : {}),
      ...(cursor ? { cursor } : {}),
    });
    for (const [, entry] of page.entries) {
      if (entry.seq > hi) continue; // committed after the cut: the next sync delivers it
      topPosition ||= entry.event.depth;
      if (entry.seq <= lo) {
        reachedStart = true;
        break scan;
      }
      oldestSeen = entry.event.depth;
      if (--budget < 0) break scan;
      if (options.accept(entry.event) && (await visible(entry))) {
        picked.push(entry.event);
        pickedSeqs.push(entry.seq);
        if (picked.length > limit) break scan;
      }
    }
    cursor = page.cursor;
    if (!cursor) reachedStart = true;
  } while (cursor);
  const limited = picked.length > limit || (!reachedStart && budget < 0);
  const events = picked.slice(0, limit).reverse();
  // An empty window starts after everything read, unless the scan stopped short of a match (a
  // zero limit shows nothing, so its window sits after the newest event).
  const startPosition = events[0]?.depth ?? (limited && limit > 0 ? oldestSeen : topPosition + 1);
  return { events, seqs: pickedSeqs.slice(0, limit).reverse(), limited, topPosition, startPosition };
}

/**
 * Whether the user may see an entry of the room: events after their current join need no read;
 * otherwise their membership history is read once (per returned function) and canSee decides.
 */
export function entryVisibility(roomId: string, userId: string, current: { membership: string; position: number }): (entry: TimelineEntry) => Promise<boolean> {
  return entryViewer(roomId, userId, current).visible;
}

/** What a user sees of a room's entries, and their membership at each (`unsigned.membership`, MSC4115). */
export interface EntryViewer {
  visible(entry: TimelineEntry): Promise<boolean>;
  membershipAt(event: RoomEvent): Promise<string>;
}

/**
 * entryVisibility and the user's membership at events, sharing one read of their membership
 * history, made only for events before their current join (from it on they are joined).
 */
export function entryViewer(roomId: string, userId: string, current: { membership: string; position: number }): EntryViewer {
  let history: Promise<MembershipChange[]> | undefined;
  const viewer = async () => ({ userId, history: await (history ??= readHistory(roomId, userId)) });
  return {
    visible: async (entry) => {
      if (current.membership === 'join' && entry.event.depth > current.position) return true;
      return canSee(await viewer(), entry.event, entry.visibility);
    },
    membershipAt: async (event) => {
      if (current.membership === 'join' && event.depth >= current.position) return 'join';
      return membershipAt(await viewer(), event);
    },
  };
}

async function readHistory(roomId: string, userId: string): Promise<MembershipChange[]> {
  const changes = await membershipHistory.key(roomId).key(userId).entries({ consistent: true, limit: 500 });
  return changes.map(([, change]) => ({ position: change.position ?? 0, membership: change.membership ?? 'leave' }));
}
