// /sync's `unread_notifications` of the joined rooms a response carries, from the stored counts
// (one consistent BatchGetItem for all of them: counts are written before the sync watermark
// passes their events, so a sync that delivers an event reads it counted).
import { unreadNotifications } from '../notification-counts.ts';
import { readCounts } from './counts.ts';

interface WithUnread {
  unread_notifications: { notification_count: number; highlight_count: number };
}

/** Fill `unread_notifications` of every joined room section in place. */
export async function fillUnreadNotifications(userId: string, join: Record<string, WithUnread>): Promise<void> {
  const roomIds = Object.keys(join);
  const counts = await readCounts(userId, roomIds, true);
  roomIds.forEach((roomId, i) => {
    join[roomId]!.unread_notifications = unreadNotifications(counts[i]);
  });
}
