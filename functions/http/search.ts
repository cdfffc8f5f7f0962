// POST /search: the room_events category over the rooms the user is joined to (see
// lib/matrix/search/room-events.ts for what is scanned and its limits).
import { json } from '../../lib/http/operation.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { search, searchRequest } from '../../lib/matrix/search/requests.ts';

export const handler = matrixFunction('search', {
  search: operation({ auth: 'user', body: searchRequest }, async ({ requester, body, request }) => json(await search(requester, body, request.query))),
});
