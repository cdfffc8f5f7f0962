// GET /rooms/{roomId}/messages: parse the query (malformed tokens are 400 before any read), check
// the user may read the room, and page through its timeline.
import { json } from '../../lib/http/operation.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { parseMessagesQuery, roomMessages } from '../../lib/matrix/timeline/messages.ts';

export const handler = matrixFunction('roomMessages', {
  getRoomEvents: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params, request }) => {
    const query = parseMessagesQuery(request.query);
    const view = await viewRoom(params.roomId, requester.userId);
    return json(await roomMessages(view, requester, query));
  }),
});
