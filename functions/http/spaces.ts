// Room summaries (GET /v1/room_summary/{roomIdOrAlias}) and space hierarchies
// (GET /v1/rooms/{roomId}/hierarchy), lib/matrix/spaces.
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';
import { parseHierarchyQuery, spaceHierarchy } from '../../lib/matrix/spaces/hierarchy.ts';
import { roomSummaryFor } from '../../lib/matrix/spaces/summaries.ts';

export const spacesOperations = {
  // Authentication is optional; a token that is sent must be valid.
  getRoomSummary: operation({ auth: 'optional', params: ['roomIdOrAlias'] }, async ({ requester, params }) => json(await roomSummaryFor(params.roomIdOrAlias, requester?.userId))),
  getSpaceHierarchy: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params: { roomId }, request }) =>
    json(await spaceHierarchy(roomId, requester.userId, parseHierarchyQuery(roomId, request.query))),
  ),
} satisfies Record<string, DeclaredOperation>;
