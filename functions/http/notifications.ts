// GET /notifications: the events that notified the user, newest first (lib/matrix/notifications/list.ts).
// GET /pushers and POST /pushers/set: pushers are checked here and stored through the users depot
// (lib/matrix/notifications/pushers.ts); they are kept for clients to manage, no gateway is called.
// One function for both: the stack stays under CloudFormation's resource limit.
import { json } from '../../lib/http/operation.ts';
import { listPushers } from '../../lib/matrix/notifications/pushers.ts';
import { notificationsPage, setPusher } from '../../lib/matrix/notifications/requests.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('notifications', {
  getNotifications: operation({ auth: 'user' }, async ({ requester, request }) => json(await notificationsPage(requester, request.query))),
  getPushers: operation({ auth: 'user' }, async ({ requester }) => json({ pushers: await listPushers(requester.userId) })),
  postPusher: operation({ auth: 'user' }, async ({ requester, body }) => {
    await setPusher(requester, body);
    return json({});
  }),
});
