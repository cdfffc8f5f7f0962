// GET /rooms/{roomId}/messages: one page of the room's timeline as the user may see it.
import { lazyLoadMembers, parseRoomEventFilterParam, type RoomEventFilterDefinition } from '../filters.ts';
import type { ClientEvent, RoomEvent } from '../events.ts';
import { invalidParam, missingParam } from '../errors.ts';
import { checkRoomToken, roomTokenPosition } from './sync-token-positions.ts';
import type { RoomView } from './access.ts';
import { withAggregations } from '../relations/aggregations.ts';
import { clientEvents, type Requester } from './format.ts';
import { walkTimeline } from './paginate.ts';
import { currentStateEvents, rewindState } from './state.ts';
import { paginationWindow, startToken, type Direction } from './window.ts';

export const DEFAULT_MESSAGES_LIMIT = 10;
export const MAX_MESSAGES_LIMIT = 1000;

export interface MessagesQuery {
  dir: Direction;
  from?: string;
  to?: string;
  limit: number;
  filter: RoomEventFilterDefinition;
}

export interface MessagesPage {
  chunk: ClientEvent[];
  start: string;
  end?: string;
  state?: ClientEvent[];
}

/** A positive integer query parameter (absent: the default), capped at `max`. */
export function parseLimit(value: string | null, fallback: number, max: number): number {
  if (value === null) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw invalidParam('limit must be a positive integer');
  return Math.min(Number(value), max);
}

export function parseMessagesQuery(query: URLSearchParams): MessagesQuery {
  const dir = query.get('dir');
  if (dir === null) throw missingParam('dir is required');
  if (dir !== 'b' && dir !== 'f') throw invalidParam('dir must be "b" or "f"');
  const from = query.get('from') ?? undefined;
  const to = query.get('to') ?? undefined;
  // Malformed tokens fail here, before any read.
  if (from !== undefined) checkRoomToken(from, 'from');
  if (to !== undefined) checkRoomToken(to, 'to');
  return {
    dir,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    limit: parseLimit(query.get('limit'), DEFAULT_MESSAGES_LIMIT, MAX_MESSAGES_LIMIT),
    filter: parseRoomEventFilterParam(query.get('filter') ?? undefined),
  };
}

/** The m.room.member events of `senders` as they were at `position` (lazy-loading members). */
export async function memberEventsAt(roomId: string, senders: Iterable<string>, position: number): Promise<RoomEvent[]> {
  const keys = [...new Set(senders)].map((userId) => ({ type: 'm.room.member', stateKey: userId }));
  return rewindState(roomId, await currentStateEvents(roomId, keys), position);
}

export async function roomMessages(view: RoomView, requester: Requester, query: MessagesQuery): Promise<MessagesPage> {
  // /sync tokens too (sync-token-positions.ts), read as of the room's end now
  const [from, to] = await Promise.all(
    [['from', query.from], ['to', query.to]].map(([param, token]) => (token === undefined ? undefined : roomTokenPosition(view.roomId, token, param!, view.lastPosition))),
  );
  const request = { dir: query.dir, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  const window = paginationWindow(request, view.readableUpTo);
  const fromPoint = query.dir === 'b' ? Math.min(from ?? view.readableUpTo, view.readableUpTo) : (from ?? 0);
  const walk = await walkTimeline(view.roomId, view.viewer, window, query.limit, query.filter, fromPoint);
  const now = Date.now();
  const page: MessagesPage = {
    chunk: await withAggregations(view, requester, walk.events, clientEvents(walk.events, requester, now, view.viewer)),
    start: query.from ?? startToken(request, view.readableUpTo),
    // `end` is left out only when the page is empty and nothing remains, as Synapse does: a page
    // that reached the end still has one (Complement's TestRoomImageRoundtrip), and the request
    // from it is the empty page without one.
    ...(walk.next !== undefined ? { end: walk.next } : walk.events.length ? { end: walk.edge } : {}),
  };
  if (lazyLoadMembers(query.filter) && walk.events.length) {
    const newest = Math.max(...walk.events.map((e) => e.depth));
    const members = await memberEventsAt(view.roomId, walk.events.map((e) => e.sender), newest);
    page.state = clientEvents(members, requester, now);
  }
  return page;
}
