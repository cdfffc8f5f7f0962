// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /rooms/{roomId}/threads
// (lib/matrix/relations/requests.ts).
import { json } from '../../lib/http/operation.ts';
import { relationsOf, threadRoots } from '../../lib/matrix/relations/requests.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const relations = operation({ auth: 'user', params: ['roomId', 'eventId'] }, async ({ requester, params, request }) =>
  json(await relationsOf(requester, params.roomId, params.eventId, request.pathParameters, request.query)),
);

export const handler = matrixFunction('relations', {
  getRelatingEvents: relations,
  getRelatingEventsWithRelType: relations,
  getRelatingEventsWithRelTypeAndEventType: relations,
  getThreadRoots: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params, request }) => json(await threadRoots(requester, params.roomId, request.query))),
});
