// /sync's `unread_notifications` of the joined rooms a response carries: the user's items and the
// rooms' tallies in one consistent BatchGetItem (counts are written before the wake-ups of the
// events they count, so a woken sync that delivers an event reads it counted).
import { unreadCounts, unreadNotifications } from '../notification-counts.ts';
import { readCounts } from './counts.ts';

interface WithUnread {
  unread_notifications: { notification_count: number; highlight_count: number };
}

/** Fill `unread_notifications` of every joined room section in place. */
export async function fillUnreadNotifications(userId: string, join: Record<string, WithUnread>): Promise<void> {
  const roomIds = Object.keys(join);
  const stored = await readCounts(userId, roomIds);
  roomIds.forEach((roomId, i) => {
    join[roomId]!.unread_notifications = unreadNotifications(unreadCounts(stored[i]!.tally, stored[i]!.member));
  });
}
