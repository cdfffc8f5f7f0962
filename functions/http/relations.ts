// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /rooms/{roomId}/threads.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { invalidParam } from '../../lib/matrix/errors.ts';
import {
  decodeThreadsToken,
  DEFAULT_RELATIONS_LIMIT,
  listThreads,
  MAX_RELATIONS_LIMIT,
  relatingEvents,
  type RelationsQuery,
} from '../../lib/matrix/relations/read.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { parseLimit } from '../../lib/matrix/timeline/messages.ts';
import { checkRoomToken, roomTokenPosition } from '../../lib/matrix/timeline/sync-token-positions.ts';

/** A room pagination token or a /sync token, checked before any read; resolved in the room later. */
function checkedToken(token: string, param: string): string {
  checkRoomToken(token, param);
  return token;
}

type RelationsRequest = Omit<RelationsQuery, 'from' | 'to'> & { from?: string; to?: string };

function parseRelationsQuery(request: HttpRequest): RelationsRequest {
  const { query, pathParameters } = request;
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
    ...(pathParameters.relType !== undefined ? { relType: pathParameters.relType } : {}),
    ...(pathParameters.eventType !== undefined ? { eventType: pathParameters.eventType } : {}),
  };
}

async function relationsOf(request: HttpRequest) {
  const query = parseRelationsQuery(request);
  const requester = await authenticate(request);
  const view = await viewRoom(request.pathParameters.roomId!, requester.userId);
  // /sync tokens stand for a point in the room too (as for /messages)
  const { from, to, ...rest } = query;
  const position = (token: string, param: string) => roomTokenPosition(view.roomId, token, param, view.lastPosition);
  const resolved: RelationsQuery = {
    ...rest,
    ...(from !== undefined ? { from: await position(from, 'from') } : {}),
    ...(to !== undefined ? { to: await position(to, 'to') } : {}),
  };
  const page = await relatingEvents(view, requester, request.pathParameters.eventId!, resolved);
  // Spec v1.10: when `recurse` is given, the depth followed must be reported; only direct relations are.
  return json(request.query.has('recurse') ? { ...page, recursion_depth: 1 } : page);
}

export const handler = matrixFunction('relations', {
  getRelatingEvents: relationsOf,
  getRelatingEventsWithRelType: relationsOf,
  getRelatingEventsWithRelTypeAndEventType: relationsOf,
  getThreadRoots: async (request) => {
    const include = request.query.get('include') ?? 'all';
    if (include !== 'all' && include !== 'participated') throw invalidParam('include must be "all" or "participated"');
    const limit = parseLimit(request.query.get('limit'), DEFAULT_RELATIONS_LIMIT, MAX_RELATIONS_LIMIT);
    const from = request.query.get('from');
    const requester = await authenticate(request);
    const view = await viewRoom(request.pathParameters.roomId!, requester.userId);
    return json(await listThreads(view, requester, { include, limit, ...(from !== null ? { from: decodeThreadsToken(from) } : {}) }));
  },
});
