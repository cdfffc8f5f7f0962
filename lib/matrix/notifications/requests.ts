// GET /notifications and POST /pushers/set once authenticated: the page of notifications as the
// spec shapes it, and a pusher checked and stored (or deleted) through the users depot.
import type { Requester } from '../accounts/authenticate.ts';
import { submit } from '../commands.ts';
import { invalidParam } from '../errors.ts';
import { toClientEvent } from '../events.ts';
import { parsePusherRequest } from '../pushers.ts';
import { assertWithinLimit } from '../user-data/limits.ts';
import { DEFAULT_NOTIFICATIONS_LIMIT, listNotifications, MAX_NOTIFICATIONS_LIMIT } from './list.ts';
import type { PusherCommand } from './pushers.ts';

function limitOf(raw: string | null): number {
  if (raw === null) return DEFAULT_NOTIFICATIONS_LIMIT;
  if (!/^\d+$/.test(raw)) throw invalidParam('limit must be a non-negative integer');
  return Math.min(Math.max(Number(raw), 1), MAX_NOTIFICATIONS_LIMIT);
}

/** GET /notifications?from&limit&only: newest first, with next_token while more remain. */
export async function notificationsPage({ userId, deviceId }: Requester, query: URLSearchParams) {
  const from = query.get('from');
  const { entries, next } = await listNotifications(userId, {
    ...(from !== null ? { from } : {}),
    limit: limitOf(query.get('limit')),
    onlyHighlight: query.get('only') === 'highlight',
  });
  const now = Date.now();
  return {
    notifications: entries.map((n) => ({
      actions: n.actions,
      event: toClientEvent(n.event, { now, requester: { user_id: userId, device_id: deviceId }, omitRoomId: true }),
      read: n.read,
      room_id: n.roomId,
      ts: n.ts,
    })),
    ...(next !== undefined ? { next_token: next } : {}),
  };
}

/** POST /pushers/set: a pusher set (or appended) for the requester's device, or deleted (kind null). */
export async function setPusher({ userId, deviceId }: Requester, body: unknown): Promise<void> {
  const parsed = parsePusherRequest(body);
  let command: PusherCommand;
  if (parsed.op === 'delete') {
    command = { kind: 'pushers.delete', userId, appId: parsed.appId, pushkey: parsed.pushkey };
  } else {
    assertWithinLimit(parsed.pusher, 'A pusher');
    command = { kind: 'pushers.set', userId, pusher: { ...parsed.pusher }, append: parsed.append, deviceId };
  }
  await submit('users', userId, command);
}
