// POST /search, room_events category: a bounded scan, not an index. For each room the user is
// joined to now (at most MAX_SEARCH_ROOMS), the newest ROOM_SCAN_DEPTH timeline entries are read
// (visibility applied as /messages does) and matched: case-insensitive substring of content.body
// (m.room.message), content.name (m.room.name) or content.topic (m.room.topic), per `keys`.
// Results are ordered newest first (order_by `recent`; `rank` is accepted and ordered the same).
// Cost per request: ≤ MAX_SEARCH_ROOMS × ROOM_SCAN_DEPTH/200 Query pages. Older messages than
// each room's scan window are not found: the documented limit of this first slice.
// next_batch names the last result returned (origin_server_ts, room, depth): the next page continues
// strictly after it in the same order, so pages never repeat or skip within the window.
import type { ClientEvent, RoomEvent } from '../events.ts';
import { inPool, PER_REQUEST_CONCURRENCY } from '../../core/concurrency.ts';
import { invalidParam } from '../errors.ts';
import { roomTimeline } from '../pstates.ts';
import { viewRoom } from '../timeline/access.ts';
import { readYourWrites } from '../timeline/consistency.ts';
import { clientEvents, type Requester } from '../timeline/format.ts';
import { joinedRooms } from '../timeline/room-state.ts';
import { canSee } from '../timeline/visibility.ts';

export const MAX_SEARCH_ROOMS = 50;
export const ROOM_SCAN_DEPTH = 1000;
export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 100;

export type SearchKey = 'content.body' | 'content.name' | 'content.topic';
const KEY_EVENT_TYPES: Record<SearchKey, string> = { 'content.body': 'm.room.message', 'content.name': 'm.room.name', 'content.topic': 'm.room.topic' };

export interface RoomEventsSearch {
  searchTerm: string;
  keys: SearchKey[];
  limit: number;
  /** Only these rooms (still only those the user is joined to). */
  rooms?: string[];
  nextBatch?: string;
}

export interface RoomEventsResults {
  results: { rank: number; result: ClientEvent }[];
  count: number;
  highlights: string[];
  next_batch?: string;
}

interface Cursor {
  ts: number;
  room: string;
  depth: number;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

export function decodeSearchBatch(token: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof c.ts === 'number' && typeof c.room === 'string' && typeof c.depth === 'number') return { ts: c.ts, room: c.room, depth: c.depth };
  } catch {
    // fall through
  }
  throw invalidParam('Invalid next_batch token');
}

const cursorOf = (e: RoomEvent): Cursor => ({ ts: e.origin_server_ts, room: e.room_id, depth: e.depth });
/** Newest first; ties by room, then newest in the room, so the order is total. */
const newerFirst = (a: Cursor, b: Cursor) => b.ts - a.ts || (a.room < b.room ? -1 : a.room > b.room ? 1 : b.depth - a.depth);

function matches(event: RoomEvent, keys: readonly SearchKey[], term: string): boolean {
  return keys.some((key) => {
    if (event.type !== KEY_EVENT_TYPES[key] || (key !== 'content.body' && event.state_key === undefined)) return false;
    const value = event.content[key.slice('content.'.length)];
    return typeof value === 'string' && value.toLowerCase().includes(term);
  });
}

async function roomMatches(roomId: string, userId: string, keys: readonly SearchKey[], term: string): Promise<RoomEvent[]> {
  const view = await viewRoom(roomId, userId);
  const found: RoomEvent[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await roomTimeline.key(roomId).range({ to: view.readableUpTo, reverse: true, limit: 200, ...readYourWrites, ...(cursor ? { cursor } : {}) });
    scanned += page.entries.length;
    for (const [, entry] of page.entries) if (canSee(view.viewer, entry.event, entry.visibility) && matches(entry.event, keys, term)) found.push(entry.event);
    cursor = scanned < ROOM_SCAN_DEPTH ? page.cursor : undefined;
  } while (cursor);
  return found;
}

export async function searchRoomEvents(requester: Requester, search: RoomEventsSearch): Promise<RoomEventsResults> {
  const after = search.nextBatch !== undefined ? decodeSearchBatch(search.nextBatch) : undefined;
  const term = search.searchTerm.toLowerCase();
  let rooms = await joinedRooms(requester.userId);
  if (search.rooms) rooms = rooms.filter((r) => search.rooms!.includes(r));
  rooms = rooms.slice(0, MAX_SEARCH_ROOMS);
  const matches = await inPool(rooms, PER_REQUEST_CONCURRENCY, (roomId) => roomMatches(roomId, requester.userId, search.keys, term));
  const all = matches.flat().sort((a, b) => newerFirst(cursorOf(a), cursorOf(b)));
  const rest = after ? all.filter((e) => newerFirst(after, cursorOf(e)) < 0) : all;
  const page = rest.slice(0, search.limit);
  const last = page[page.length - 1];
  return {
    results: clientEvents(page, requester).map((result) => ({ rank: 1, result })),
    count: all.length,
    highlights: [search.searchTerm],
    ...(rest.length > page.length && last ? { next_batch: encodeCursor(cursorOf(last)) } : {}),
  };
}
