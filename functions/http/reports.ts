// Reporting content: an event, a room, a user (lib/matrix/reports).
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { limitWrites } from '../../lib/matrix/rate-limits.ts';
import { reportEvent, reportRoom, reportUser } from '../../lib/matrix/reports/reports.ts';

export const handler = httpFunction(axon, 'reports', {
  reportEvent: async (request) => {
    const { userId } = await authenticate(request);
    await limitWrites(userId);
    await reportEvent(userId, request.pathParameters.roomId!, request.pathParameters.eventId!, request.body);
    return json({});
  },
  reportRoom: async (request) => {
    const { userId } = await authenticate(request);
    await limitWrites(userId);
    await reportRoom(userId, request.pathParameters.roomId!, request.body);
    return json({});
  },
  reportUser: async (request) => {
    const { userId } = await authenticate(request);
    await limitWrites(userId);
    await reportUser(userId, request.pathParameters.userId!, request.body);
    return json({});
  },
});
