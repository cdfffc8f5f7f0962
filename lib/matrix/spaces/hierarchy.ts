// GET /rooms/{roomId}/hierarchy: the rooms reachable from a space through m.space.child state,
// depth first in the spec's child order, skipping rooms the requester may not see (and, with no
// federation, rooms this server does not hold). Tokens are stateless: the request's fixed
// parameters and how many rooms were already returned; each page walks the tree again, bounded.
import type { RoomEvent } from '../events.ts';
import { forbidden, invalidParam } from '../errors.ts';
import { roomState } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { compareChildren, isSuggested, isValidChild } from './rules.ts';
import { readLocalRoom, type RoomSummaryChunk } from './summaries.ts';

export const DEFAULT_HIERARCHY_LIMIT = 50;
export const MAX_HIERARCHY_LIMIT = 50;
export const DEFAULT_MAX_DEPTH = 10;
export const MAX_MAX_DEPTH = 10;
/** The most rooms one request looks at (across all pages before it too). */
export const MAX_HIERARCHY_ROOMS = 500;

export interface HierarchyQuery {
  suggestedOnly: boolean;
  limit: number;
  maxDepth: number;
  /** Rooms already returned by earlier pages. */
  offset: number;
}

export interface HierarchyChunk extends RoomSummaryChunk {
  children_state: { type: string; state_key: string; content: Record<string, unknown>; sender: string; origin_server_ts: number }[];
}

interface Token {
  r: string;
  s: boolean;
  d: number;
  o: number;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(from: string): Token {
  try {
    const t = JSON.parse(Buffer.from(from, 'base64url').toString('utf8')) as Partial<Token>;
    if (typeof t.r === 'string' && typeof t.s === 'boolean' && Number.isInteger(t.d) && Number.isInteger(t.o) && t.o! >= 0) return t as Token;
  } catch {
    // fall through
  }
  throw invalidParam('Unknown pagination token');
}

function integerParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) throw invalidParam(`Query parameter "${name}" must be an integer`);
  return Number(raw);
}

export function parseHierarchyQuery(roomId: string, query: URLSearchParams): HierarchyQuery {
  const suggested = query.get('suggested_only');
  if (suggested !== null && suggested !== 'true' && suggested !== 'false') throw invalidParam('Boolean query parameter "suggested_only" must be one of ["true", "false"]');
  const limit = integerParam(query, 'limit');
  const maxDepth = integerParam(query, 'max_depth');
  if (limit !== undefined && limit <= 0) throw invalidParam('limit must be a positive integer');
  if (maxDepth !== undefined && maxDepth < 0) throw invalidParam('max_depth must be a non-negative integer');
  const parsed: HierarchyQuery = {
    suggestedOnly: suggested === 'true',
    limit: Math.min(limit ?? DEFAULT_HIERARCHY_LIMIT, MAX_HIERARCHY_LIMIT),
    maxDepth: Math.min(maxDepth ?? DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH),
    offset: 0,
  };
  const from = query.get('from');
  if (from === null) return parsed;
  const token = decodeToken(from);
  if (token.r !== roomId) throw invalidParam('The pagination token is for another room');
  if (token.s !== parsed.suggestedOnly || token.d !== parsed.maxDepth) throw invalidParam('suggested_only and max_depth cannot change on paginated requests');
  return { ...parsed, offset: token.o };
}

/** The room's valid m.space.child events, in the spec's order. */
async function childEvents(roomId: string, suggestedOnly: boolean): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await roomState
      .key(roomId)
      .range({ from: stateKeyOf('m.space.child', ''), to: stateKeyOf('m.space.child\u0001', ''), limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [, event] of page.entries) if (isValidChild(event) && (!suggestedOnly || isSuggested(event))) events.push(event);
    cursor = page.cursor;
  } while (cursor && events.length < MAX_HIERARCHY_ROOMS);
  return events.sort(compareChildren);
}

/** The rooms a space names as its children: its m.space.child events with a `via` (sliding sync's `spaces` filter). */
export async function spaceChildIds(roomId: string): Promise<string[]> {
  return (await childEvents(roomId, false)).map((e) => e.state_key!);
}

export async function spaceHierarchy(roomId: string, userId: string, query: HierarchyQuery): Promise<{ rooms: HierarchyChunk[]; next_batch?: string }> {
  const root = await readLocalRoom(roomId, userId);
  if (!root?.accessible) throw forbidden(`User ${userId} not in room ${roomId}, and room previews are disabled`);
  const wanted = query.offset + query.limit;
  const found: HierarchyChunk[] = [];
  const seen = new Set<string>();
  // A stack of rooms to visit: children pushed in reverse so they pop in order (depth first).
  const stack: { roomId: string; depth: number }[] = [{ roomId, depth: 0 }];
  while (stack.length > 0 && found.length < wanted && seen.size < MAX_HIERARCHY_ROOMS) {
    const next = stack.pop()!;
    if (seen.has(next.roomId)) continue;
    seen.add(next.roomId);
    const room = next.roomId === roomId ? root : await readLocalRoom(next.roomId, userId);
    if (!room?.accessible) continue;
    // Only a space has children: a plain room's m.space.child events are neither listed nor
    // followed (Synapse's _summarize_local_room; Complement's TestClientSpacesSummary).
    const children = room.summary.room_type === 'm.space' ? await childEvents(next.roomId, query.suggestedOnly) : [];
    found.push({
      ...room.summary,
      children_state: children.map((e) => ({ type: e.type, state_key: e.state_key ?? '', content: e.content, sender: e.sender, origin_server_ts: e.origin_server_ts })),
    });
    if (next.depth < query.maxDepth) {
      for (const child of [...children].reverse()) if (!seen.has(child.state_key!)) stack.push({ roomId: child.state_key!, depth: next.depth + 1 });
    }
  }
  const rooms = found.slice(query.offset, wanted);
  const more = found.length >= wanted && stack.some((s) => !seen.has(s.roomId)) && seen.size < MAX_HIERARCHY_ROOMS;
  return more ? { rooms, next_batch: encodeToken({ r: roomId, s: query.suggestedOnly, d: query.maxDepth, o: wanted }) } : { rooms };
}
