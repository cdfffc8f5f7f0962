// GET /pushers and POST /pushers/set: pushers are checked here and stored through the users depot
// (lib/matrix/notifications/pushers.ts). They are kept for clients to manage; no gateway is called.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { listPushers, type PusherCommand } from '../../lib/matrix/notifications/pushers.ts';
import { parsePusherRequest } from '../../lib/matrix/pushers.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';

export const handler = httpFunction(axon, 'pushers', {
  getPushers: async (request) => {
    const { userId } = await authenticate(request);
    return json({ pushers: await listPushers(userId) });
  },
  postPusher: async (request) => {
    const { userId } = await authenticate(request);
    const parsed = parsePusherRequest(request.body);
    let command: PusherCommand;
    if (parsed.op === 'delete') {
      command = { kind: 'pushers.delete', userId, appId: parsed.appId, pushkey: parsed.pushkey };
    } else {
      assertWithinLimit(parsed.pusher, 'A pusher');
      command = { kind: 'pushers.set', userId, pusher: { ...parsed.pusher }, append: parsed.append };
    }
    await submit('users', userId, command);
    return json({});
  },
});
