// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /rooms/{roomId}/threads:
// their queries, checked before any read (tokens are resolved in the room later), and the reads.
import type { Requester } from '../accounts/authenticate.ts';
import { invalidParam } from '../errors.ts';
import { viewRoom } from '../timeline/access.ts';
import { parseLimit } from '../timeline/messages.ts';
import { checkRoomToken, roomTokenPosition } from '../timeline/sync-token-positions.ts';
import { decodeThreadsToken, DEFAULT_RELATIONS_LIMIT, listThreads, MAX_RELATIONS_LIMIT, relatingEvents, type RelationsQuery } from './read.ts';

/** A room pagination token or a /sync token, checked before any read; resolved in the room later. */
function checkedToken(token: string, param: string): string {
  checkRoomToken(token, param);
  return token;
}

type RelationsRequest = Omit<RelationsQuery, 'from' | 'to'> & { from?: string; to?: string };

function parseRelationsQuery(query: URLSearchParams, path: { relType?: string | undefined; eventType?: string | undefined }): RelationsRequest {
  const dir = query.get('dir') ?? 'b';
  if (dir !== 'b' && dir !== 'f') throw invalidParam('dir must be "b" or "f"');
  const recurse = query.get('recurse');
  // Recursion is not supported; the spec lets such a server ignore the flag (no recursion_depth).
  if (recurse !== null && recurse !== 'true' && recurse !== 'false') throw invalidParam('recurse must be true or false');
  const from = query.get('from');
  const to = query.get('to');
  return {
    dir,
    limit: parseLimit(query.get('limit'), DEFAULT_RELATIONS_LIMIT, MAX_RELATIONS_LIMIT),
    ...(from !== null ? { from: checkedToken(from, 'from') } : {}),
    ...(to !== null ? { to: checkedToken(to, 'to') } : {}),
    ...(path.relType !== undefined ? { relType: path.relType } : {}),
    ...(path.eventType !== undefined ? { eventType: path.eventType } : {}),
  };
}

/** The events relating to `eventId` (of `relType`, of `eventType` when the path names them). */
export async function relationsOf(
  requester: Requester,
  roomId: string,
  eventId: string,
  path: { relType?: string | undefined; eventType?: string | undefined },
  query: URLSearchParams,
) {
  const parsed = parseRelationsQuery(query, path);
  const view = await viewRoom(roomId, requester.userId);
  // /sync tokens stand for a point in the room too (as for /messages)
  const { from, to, ...rest } = parsed;
  const position = (token: string, param: string) => roomTokenPosition(view.roomId, token, param, view.lastPosition);
  const resolved: RelationsQuery = {
    ...rest,
    ...(from !== undefined ? { from: await position(from, 'from') } : {}),
    ...(to !== undefined ? { to: await position(to, 'to') } : {}),
  };
  const page = await relatingEvents(view, requester, eventId, resolved);
  // Spec v1.10: when `recurse` is given, the depth followed must be reported; only direct relations are.
  return query.has('recurse') ? { ...page, recursion_depth: 1 } : page;
}

/** GET /rooms/{roomId}/threads?include&limit&from */
export async function threadRoots(requester: Requester, roomId: string, query: URLSearchParams) {
  const include = query.get('include') ?? 'all';
  if (include !== 'all' && include !== 'participated') throw invalidParam('include must be "all" or "participated"');
  const limit = parseLimit(query.get('limit'), DEFAULT_RELATIONS_LIMIT, MAX_RELATIONS_LIMIT);
  const from = query.get('from');
  const view = await viewRoom(roomId, requester.userId);
  return listThreads(view, requester, { include, limit, ...(from !== null ? { from: decodeThreadsToken(from) } : {}) });
}
