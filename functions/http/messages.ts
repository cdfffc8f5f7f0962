// GET /rooms/{roomId}/messages: parse the query (malformed tokens are 400 before any read), check
// the user may read the room, and page through its timeline.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { parseMessagesQuery, roomMessages } from '../../lib/matrix/timeline/messages.ts';

export const handler = httpFunction(axon, 'roomMessages', {
  getRoomEvents: async (request) => {
    const requester = await authenticate(request);
    const query = parseMessagesQuery(request.query);
    const view = await viewRoom(request.pathParameters.roomId!, requester.userId);
    return json(await roomMessages(view, requester, query));
  },
});
