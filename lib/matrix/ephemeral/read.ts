// Reads of ephemeral state outside sync: GET /presence/{userId}/status.
import { presence, users } from '../pstates.ts';
import { presenceView, type PresenceView, type StoredPresence } from './presence.ts';

/** The user's presence as others see it now; undefined when there is no such user. */
export async function readPresence(userId: string, now = Date.now()): Promise<PresenceView | undefined> {
  const [account, stored] = await Promise.all([users.key(userId).field('createdTs').get(), presence.key(userId).get({ consistent: true })]);
  if (account === undefined) return undefined;
  return presenceView(stored?.shardId ? (stored as StoredPresence) : undefined, now);
}
