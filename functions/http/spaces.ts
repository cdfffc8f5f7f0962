// Room summaries (GET /v1/room_summary/{roomIdOrAlias}) and space hierarchies
// (GET /v1/rooms/{roomId}/hierarchy), lib/matrix/spaces.
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { parseHierarchyQuery, spaceHierarchy } from '../../lib/matrix/spaces/hierarchy.ts';
import { roomSummaryFor } from '../../lib/matrix/spaces/summaries.ts';

export const spacesOperations = {
  getRoomSummary: async (request) => {
    // Authentication is optional; a token that is sent must be valid.
    const userId = request.accessToken ? (await authenticate(request)).userId : undefined;
    return json(await roomSummaryFor(request.pathParameters.roomIdOrAlias!, userId));
  },
  getSpaceHierarchy: async (request) => {
    const { userId } = await authenticate(request);
    const roomId = request.pathParameters.roomId!;
    return json(await spaceHierarchy(roomId, userId, parseHierarchyQuery(roomId, request.query)));
  },
} satisfies Record<string, Operation>;
