// GET /publicRooms (no token needed, as the spec says) and POST /publicRooms (with a filter).
import { json } from '../../lib/http/operation.ts';
import { listPublicRooms } from '../../lib/matrix/directory/public-rooms.ts';
import { publicRoomsFilter, publicRoomsQuery, publicRoomsRequest } from '../../lib/matrix/directory/public-rooms-requests.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('publicRooms', {
  getPublicRooms: operation({ auth: 'none' }, async ({ request }) => json(await listPublicRooms(publicRoomsQuery(request.query)))),
  queryPublicRooms: operation({ auth: 'user', body: publicRoomsRequest }, async ({ body, request }) => json(await listPublicRooms(publicRoomsFilter(request.query, body)))),
});
