// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event (lib/matrix/timeline/by-timestamp.ts).
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { eventByTimestamp, parseTimestampQuery } from '../../lib/matrix/timeline/by-timestamp.ts';

export const timestampOperations = {
  getEventByTimestamp: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params, request }) => {
    const { ts, dir } = parseTimestampQuery(request.query);
    return json(await eventByTimestamp(await viewRoom(params.roomId, requester.userId), ts, dir));
  }),
} satisfies Record<string, DeclaredOperation>;
