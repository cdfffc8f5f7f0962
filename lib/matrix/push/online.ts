// A connected user counts as online for sync's fanout (roomOnlineMembers, syncWake.onlineUntil),
// so the rooms topology finds them at O(online members) cost. The gateway closes a connection idle
// for 10 minutes, so a registration lasting that long past the last client message covers the
// connection's life; it is renewed by client messages once half of it is used. Registrations only
// ever extend (ifBelow): a shorter long-poll registration never cuts a connection's short.
import { commit, isConditionFailed, type WriteOp } from '../../core/pstate/index.ts';
import { memberRooms, roomOnlineMembers, syncWake } from '../pstates.ts';

/** The gateway's idle timeout (API Gateway: 10 minutes) plus a margin. */
export const CONNECTED_ONLINE_MS = 11 * 60_000;
const RENEW_AFTER_MS = 5 * 60_000;
const PARALLEL = 16;

async function extend(op: WriteOp): Promise<void> {
  try {
    await commit([op]);
  } catch (err) {
    // Someone registered the user for longer already.
    if (!isConditionFailed(err)) throw err;
  }
}

/**
 * Register a connected user as online until `now + CONNECTED_ONLINE_MS` in every joined room.
 * `onlineUntil` first, then the memberships (as sync's goOnline): a join committed after the read
 * finds the user online and the rooms topology registers them in that room.
 */
export async function markConnectedOnline(userId: string, now = Date.now()): Promise<void> {
  const until = now + CONNECTED_ONLINE_MS;
  await extend(syncWake.key(userId).field('onlineUntil').set(until, { ifBelow: until }));
  const joined: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ consistent: true, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const [roomId, entry] of page.entries) if (entry.membership === 'join') joined.push(roomId);
    cursor = page.cursor;
  } while (cursor);
  let next = 0;
  const worker = async () => {
    while (next < joined.length) {
      const roomId = joined[next++]!;
      await extend(roomOnlineMembers.key(roomId).key(userId).set(until, { ifBelow: until }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, joined.length) }, worker));
}

/** On a client message: renew the registration when half of it is used (one GetItem otherwise). */
export async function stayConnectedOnline(userId: string, now = Date.now()): Promise<void> {
  const wake = await syncWake.key(userId).get({ consistent: true });
  if ((wake?.onlineUntil ?? 0) - now < CONNECTED_ONLINE_MS - RENEW_AFTER_MS) await markConnectedOnline(userId, now);
}
