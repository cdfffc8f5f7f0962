// A connected user counts as online for sync's fanout (roomOnlineMembers, syncWake.onlineUntil),
// so the rooms topology finds them at O(online members) cost. The gateway closes a connection idle
// for 10 minutes, so a registration lasting that long past the last client message covers the
// connection's life; it is renewed by client messages once half of it is used. Registrations only
// ever extend (ifBelow): a shorter long-poll registration never cuts a connection's short.
import { syncWake } from '../pstates.ts';
import { extendRegistration, registerOnline, wakeStates } from '../sync/wake.ts';

/** The gateway's idle timeout (API Gateway: 10 minutes) plus a margin. */
export const CONNECTED_ONLINE_MS = 11 * 60_000;
const RENEW_AFTER_MS = 5 * 60_000;

/**
 * Register a connected user as online until `now + CONNECTED_ONLINE_MS` in every joined room,
 * the same registration a long-poll makes, only longer. `connectedUntil` goes first: a push for a
 * commit after the connection's floor was read (after this) must find the user connected.
 */
export async function markConnectedOnline(userId: string, now = Date.now()): Promise<void> {
  const until = now + CONNECTED_ONLINE_MS;
  await extendRegistration(syncWake.key(userId).field('connectedUntil').set(until, { ifBelow: until }));
  await registerOnline(userId, until);
}

/**
 * Those of these users that may have an open connection now (one consistent BatchGetItem per
 * 100): a member online only by long-polling costs no connections Query per push.
 */
export async function connectedNow(userIds: readonly string[], now = Date.now()): Promise<string[]> {
  const states = await wakeStates(userIds);
  return userIds.filter((_, i) => states[i]!.connectedUntil > now);
}

/** On a client message: renew the registration when half of it is used (one GetItem otherwise). */
export async function stayConnectedOnline(userId: string, now = Date.now()): Promise<void> {
  const wake = await syncWake.key(userId).get({ consistent: true });
  if ((wake?.onlineUntil ?? 0) - now < CONNECTED_ONLINE_MS - RENEW_AFTER_MS) await markConnectedOnline(userId, now);
}
