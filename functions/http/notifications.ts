// GET /notifications: the events that notified the user, newest first (lib/matrix/notifications/list.ts).
// GET /pushers and POST /pushers/set: pushers are checked here and stored through the users depot
// (lib/matrix/notifications/pushers.ts); they are kept for clients to manage, no gateway is called.
// One function for both: the stack stays under CloudFormation's resource limit.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { invalidParam } from '../../lib/matrix/errors.ts';
import { toClientEvent } from '../../lib/matrix/events.ts';
import { DEFAULT_NOTIFICATIONS_LIMIT, listNotifications, MAX_NOTIFICATIONS_LIMIT } from '../../lib/matrix/notifications/list.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { listPushers, type PusherCommand } from '../../lib/matrix/notifications/pushers.ts';
import { parsePusherRequest } from '../../lib/matrix/pushers.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';

function limitOf(raw: string | null): number {
  if (raw === null) return DEFAULT_NOTIFICATIONS_LIMIT;
  if (!/^\d+$/.test(raw)) throw invalidParam('limit must be a non-negative integer');
  return Math.min(Math.max(Number(raw), 1), MAX_NOTIFICATIONS_LIMIT);
}

export const handler = matrixFunction('notifications', {
  getNotifications: async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const from = request.query.get('from');
    const { entries, next } = await listNotifications(userId, {
      ...(from !== null ? { from } : {}),
      limit: limitOf(request.query.get('limit')),
      onlyHighlight: request.query.get('only') === 'highlight',
    });
    const now = Date.now();
    return json({
      notifications: entries.map((n) => ({
        actions: n.actions,
        event: toClientEvent(n.event, { now, requester: { user_id: userId, device_id: deviceId }, omitRoomId: true }),
        read: n.read,
        room_id: n.roomId,
        ts: n.ts,
      })),
      ...(next !== undefined ? { next_token: next } : {}),
    });
  },
  getPushers: async (request) => {
    const { userId } = await authenticate(request);
    return json({ pushers: await listPushers(userId) });
  },
  postPusher: async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const parsed = parsePusherRequest(request.body);
    let command: PusherCommand;
    if (parsed.op === 'delete') {
      command = { kind: 'pushers.delete', userId, appId: parsed.appId, pushkey: parsed.pushkey };
    } else {
      assertWithinLimit(parsed.pusher, 'A pusher');
      command = { kind: 'pushers.set', userId, pusher: { ...parsed.pusher }, append: parsed.append, deviceId };
    }
    await submit('users', userId, command);
    return json({});
  },
});
