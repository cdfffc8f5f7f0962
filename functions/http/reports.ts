// Reporting content: an event, a room, a user (lib/matrix/reports).
import { json } from '../../lib/http/operation.ts';
import { reportEvent, reportRoom, reportUser } from '../../lib/matrix/reports/reports.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('reports', {
  reportEvent: operation({ auth: 'user', rateLimit: 'writes', params: ['roomId', 'eventId'] }, async ({ requester, params, body }) => {
    await reportEvent(requester.userId, params.roomId, params.eventId, body);
    return json({});
  }),
  reportRoom: operation({ auth: 'user', rateLimit: 'writes', params: ['roomId'] }, async ({ requester, params, body }) => {
    await reportRoom(requester.userId, params.roomId, body);
    return json({});
  }),
  reportUser: operation({ auth: 'user', rateLimit: 'writes', params: ['userId'] }, async ({ requester, params, body }) => {
    await reportUser(requester.userId, params.userId, body);
    return json({});
  }),
});
