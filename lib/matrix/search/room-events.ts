// POST /search, room_events category: a bounded scan, not an index. For each room the user is
// joined to now (at most MAX_SEARCH_ROOMS), the newest ROOM_SCAN_DEPTH timeline entries are read
// (visibility applied as /messages does) and matched against content.body (m.room.message),
// content.name (m.room.name) or content.topic (m.room.topic), per `keys`, as Synapse's full-text
// search does: every word of the term, case-insensitively, begins some word of the value.
// Results are ordered newest first (order_by `recent`; `rank` is accepted and ordered the same).
// Cost per request: ≤ MAX_SEARCH_ROOMS × ROOM_SCAN_DEPTH/200 Query pages. Older messages than
// each room's scan window are not found: the documented limit of this first slice.
// next_batch names the last result returned (origin_server_ts, room, depth): the next page continues
// strictly after it in the same order, so pages never repeat or skip within the window. As
// Synapse, a full page carries one (the page after it may be empty), a short page none.
import type { ClientEvent, RoomEvent } from '../events.ts';
import { inPool, PER_REQUEST_CONCURRENCY } from '../../core/concurrency.ts';
import { invalidParam } from '../errors.ts';
import { roomTimeline } from '../pstates.ts';
import { viewRoom, type RoomView } from '../timeline/access.ts';
import { resultContext, type ContextRequest, type ResultContext } from './result-context.ts';
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
  /** event_context: the events around each result. */
  context?: ContextRequest;
}

export interface RoomEventsResults {
  results: { rank: number; result: ClientEvent; context?: ResultContext }[];
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

const wordsOf = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** Whether every word of the term begins a word of the value (a term without words: a substring). */
export function matchesTerm(value: string, term: string): boolean {
  const wanted = wordsOf(term);
  if (!wanted.length) return value.toLowerCase().includes(term.toLowerCase());
  const words = wordsOf(value);
  return wanted.every((w) => words.some((v) => v.startsWith(w)));
}

function matches(event: RoomEvent, keys: readonly SearchKey[], term: string): boolean {
  return keys.some((key) => {
    if (event.type !== KEY_EVENT_TYPES[key] || (key !== 'content.body' && event.state_key === undefined)) return false;
    const value = event.content[key.slice('content.'.length)];
    return typeof value === 'string' && matchesTerm(value, term);
  });
}

async function roomMatches(view: RoomView, keys: readonly SearchKey[], term: string): Promise<RoomEvent[]> {
  const roomId = view.roomId;
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
  const term = search.searchTerm;
  let rooms = await joinedRooms(requester.userId);
  if (search.rooms) rooms = rooms.filter((r) => search.rooms!.includes(r));
  rooms = rooms.slice(0, MAX_SEARCH_ROOMS);
  const views = new Map<string, RoomView>();
  const matches = await inPool(rooms, PER_REQUEST_CONCURRENCY, async (roomId) => {
    const view = await viewRoom(roomId, requester.userId);
    views.set(roomId, view);
    return roomMatches(view, search.keys, term);
  });
  const all = matches.flat().sort((a, b) => newerFirst(cursorOf(a), cursorOf(b)));
  const rest = after ? all.filter((e) => newerFirst(after, cursorOf(e)) < 0) : all;
  const page = rest.slice(0, search.limit);
  const last = page[page.length - 1];
  const now = Date.now();
  const request = search.context;
  const contexts = request
    ? await inPool(page, PER_REQUEST_CONCURRENCY, (event) => resultContext(views.get(event.room_id)!, requester, event, request, now))
    : undefined;
  return {
    results: page.map((event) => clientEvents([event], requester, now, views.get(event.room_id)!.viewer)[0]!).map((result, i) => ({ rank: 1, result, ...(contexts ? { context: contexts[i]! } : {}) })),
    count: all.length,
    highlights: [search.searchTerm],
    ...(page.length >= search.limit && last ? { next_batch: encodeCursor(cursorOf(last)) } : {}),
  };
}
