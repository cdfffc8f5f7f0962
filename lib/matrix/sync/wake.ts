// Waking waiting long-polls at O(1) reads per poll, O(online members) writes per event.
//
// A waiting /sync polls ONE item, its user's `syncWake` (a strongly consistent GetItem per
// interval), whatever the number of rooms. The rooms topology, after a record's commit, bumps the
// wake item of each room member that is online (`roomOnlineMembers`: one range read, expired
// entries deleted) and of the users whose membership the record changed — but only of those that
// long-poll (`pollingUntil`, read with one consistent BatchGetItem per 100): a member online only
// through a WebSocket connection gets the push topology's frame, and a bump nobody polls would be
// a wasted write (one per connected member per message). A user counts as online for
// ONLINE_TTL_MS after a long-poll registered them in all their joined rooms; a long-poll renews
// that once the remaining time falls under RENEW_BEFORE_MS (about once a minute while the user
// keeps polling), never per poll.
//
// Why a skipped bump is never a missed wake: a long-poll sets `pollingUntil` BEFORE the pass whose
// cut it then waits on, and keeps it valid for its whole wait (renewed when under 2 minutes are
// left; a wait is at most 25 s). A topology reads `pollingUntil` AFTER its commit. If that read
// does not see the long-poll's registration, the registration came later, so the long-poll's pass
// came later still and its cut holds the commit.
//
// Cost of one user idly long-polling for an hour (on-demand, items under 4 KB, R joined rooms):
//   polls: 3600 s / 0.5 s = 7,200 strongly consistent GetItems of the wake item = 7,200 RRU,
//     whatever R;
//   the long-poll requests themselves: 3600 / 25 s = 144, each one sync pass = the wake item, two
//     watermark Queries, the memberRooms Query and R roomInfo reads (BatchGet) = 144 × (4 + R) RRU;
//   online renewals, about once a minute: 60 × (1 memberRooms Query + R × (1 RRU + a two-item
//     transaction = 4 WRU)).
//   R = 20: ~7,200 + 3,456 + 1,260 = ~11,900 RRU and ~4,800 WRU an hour, about $0.004 at
//   $0.25 per million RRU and $1.25 per million WRU. The Lambda waiting the whole hour costs far
//   more (3,600 s × its memory: ~$0.06 at 1 GB), which is why the WebSocket channel is the cheap path.
import { inPool } from '../../core/concurrency.ts';
import { commit, getMany, incrementAndGet, isConditionFailed, type WriteOp } from '../../core/pstate/index.ts';
import { memberRooms, roomOnlineMembers, syncWake } from '../pstates.ts';
import { forgetExpiredOnline } from './online-expiry.ts';
import { noticeWakes } from './notices.ts';

/** How long one registration keeps a user online. */
export const ONLINE_TTL_MS = 180_000;
/** A long-poll renews the registration when less than this remains. */
export const RENEW_BEFORE_MS = 120_000;
/** How often a waiting long-poll reads its wake item. */
export const WAKE_POLL_INTERVAL_MS = 500;

const PARALLEL_WRITES = 16;
/** Wake bumps written at once and told together (one notice each, a WebSocket message). */
const NOTICE_GROUP = 32;
/** Groups of bumps in flight at once (NOTICE_GROUP × PARALLEL_GROUPS writes). */
const PARALLEL_GROUPS = 2;

export interface WakeState {
  wakes: number;
  onlineUntil: number;
  pollingUntil: number;
  /** Until when the user may have an open WebSocket connection (lib/matrix/push/online.ts). */
  connectedUntil: number;
}

type StoredWake = Partial<WakeState> | undefined;
const wakeStateOf = (item: StoredWake): WakeState => ({
  wakes: item?.wakes ?? 0,
  onlineUntil: item?.onlineUntil ?? 0,
  pollingUntil: item?.pollingUntil ?? 0,
  connectedUntil: item?.connectedUntil ?? 0,
});

/**
 * Online registrations only ever extend: a long-poll (3 minutes) must not cut short the longer
 * registration of the same user's WebSocket connection, whose pushes rely on it.
 */
export async function extendRegistration(op: WriteOp): Promise<void> {
  try {
    await commit([op]);
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
  }
}

/** The user's wake item (strongly consistent: a bump committed before this read is seen). */
export async function readWake(userId: string): Promise<WakeState> {
  return wakeStateOf(await syncWake.key(userId).get({ consistent: true }));
}

/**
 * Bump the wake items of these users (one UpdateItem ADD each, no read), then tell the sync
 * service, where it runs, whose counts moved and to what (lib/matrix/sync/notices.ts). In groups
 * of NOTICE_GROUP, each told as soon as its bumps are in: in a big room the service starts the
 * first members' passes while the later bumps are still being written.
 */
export async function wakeUsers(userIds: Iterable<string>): Promise<void> {
  const users = [...new Set(userIds)];
  const groups: string[][] = [];
  for (let i = 0; i < users.length; i += NOTICE_GROUP) groups.push(users.slice(i, i + NOTICE_GROUP));
  await inPool(groups, PARALLEL_GROUPS, async (group) => {
    const counts = await Promise.all(group.map((userId) => incrementAndGet(syncWake.key(userId).field('wakes').increment(1))));
    await noticeWakes(group.map((userId, i) => ({ userId, wakes: counts[i]! })));
  });
}

/**
 * The wake states of these users (one consistent BatchGetItem per 100), in order: who long-polls
 * (to wake: a connected-only user gets a frame, not a write) and who may be connected (to push to).
 * The caller's function must be allowed to read `syncWake`.
 */
export async function wakeStates(userIds: readonly string[]): Promise<WakeState[]> {
  const items = userIds.length ? await getMany(userIds.map((u) => syncWake.key(u)), { consistent: true }) : [];
  return items.map(wakeStateOf);
}

/**
 * Bump the wake items of those of these users that long-poll now: one consistent BatchGetItem per
 * 100 users instead of a write for each connected-only one. Returns the (deduplicated) users with
 * the states read, for a caller that also pushes to the connected ones.
 */
export async function wakePollingUsers(userIds: Iterable<string>, now = Date.now()): Promise<{ users: string[]; states: WakeState[] }> {
  const users = [...new Set(userIds)];
  const states = await wakeStates(users);
  await wakeUsers(users.filter((_, i) => states[i]!.pollingUntil > now));
  return { users, states };
}

/**
 * The room's members that are online now (one consistent Query per 500 members). `forgetExpired`
 * (the rooms topology's wake fan-out, which may write the PState): delete the expired entries found.
 */
export async function onlineMembers(roomId: string, now = Date.now(), options: { forgetExpired?: boolean } = {}): Promise<string[]> {
  const online: string[] = [];
  const expired: string[] = [];
  for (const [userId, expiresAt] of await roomOnlineMembers.key(roomId).entries({ consistent: true, limit: 500 })) {
    (expiresAt > now ? online : expired).push(userId);
  }
  if (options.forgetExpired && expired.length) await forgetExpiredOnline(roomId, expired, now);
  return online;
}

/** Whom a rooms record concerns: the room's online members and its membership targets, with their wake states. */
export interface RoomAudience {
  users: string[];
  states: WakeState[];
}

/**
 * For the rooms topology, after a record's commit (outside its transaction; at least once is
 * enough): whom the record concerns — the room's online members and the users whose membership
 * changed (`targets`), with their wake states — registering online targets in the room, so a user
 * who joins while long-polling is woken by the room's next events without waiting for the
 * renewal. Read after the commit (see the top of this file); the caller wakes the long-polling
 * among them (`wakeAudience`) once the record's derived writes are in, and pushes to the
 * connected ones without reading them again.
 */
export async function roomAudience(roomId: string, targets: readonly string[] = [], now = Date.now()): Promise<RoomAudience> {
  // One read of the targets' and online members' states serves the registration and the wake.
  const users = [...new Set([...targets, ...(await onlineMembers(roomId, now, { forgetExpired: true }))])];
  const states = await wakeStates(users);
  const stateOf = new Map(users.map((u, i) => [u, states[i]!]));
  const registering = [...new Set(targets)].filter((t) => stateOf.get(t)!.onlineUntil > now);
  await inPool(registering, PARALLEL_WRITES, (userId) => {
    const until = stateOf.get(userId)!.onlineUntil;
    return extendRegistration(roomOnlineMembers.key(roomId).key(userId).set(until, { ifBelow: until }));
  });
  return { users, states };
}

/** Wake those of an audience that long-poll (their registration as read with it). */
export async function wakeAudience(audience: RoomAudience, now = Date.now()): Promise<void> {
  await wakeUsers(audience.users.filter((_, i) => audience.states[i]!.pollingUntil > now));
}

/** `roomAudience`, then `wakeAudience`: for callers with nothing to write in between. */
export async function wakeAfterRoomCommit(roomId: string, targets: readonly string[] = []): Promise<RoomAudience> {
  const now = Date.now();
  const audience = await roomAudience(roomId, targets, now);
  await wakeAudience(audience, now);
  return audience;
}

/**
 * Register a user as online until `until` in every room they have joined (long-polls and
 * WebSocket connections alike). `onlineUntil` is set FIRST, then the memberships are read: a join
 * committed before that read is registered here, and one committed after it finds the user online
 * in wakeAfterRoomCommit, so no joined room is missed.
 */
export async function registerOnline(userId: string, until: number): Promise<void> {
  await extendRegistration(syncWake.key(userId).field('onlineUntil').set(until, { ifBelow: until }));
  const rooms = await memberRooms.key(userId).entries({ consistent: true, limit: 500 });
  const joined = rooms.filter(([, entry]) => entry.membership === 'join').map(([roomId]) => roomId);
  await inPool(joined, PARALLEL_WRITES, (roomId) => extendRegistration(roomOnlineMembers.key(roomId).key(userId).set(until, { ifBelow: until })));
}

/**
 * Register a long-polling user for ONLINE_TTL_MS: as polling (so wakes are written for them) and
 * online in their rooms. `pollingUntil` goes first: it must be visible before the pass whose cut
 * the long-poll waits on (see the top of this file).
 */
export async function goOnline(userId: string, now = Date.now(), current?: WakeState): Promise<void> {
  const until = now + ONLINE_TTL_MS;
  await extendRegistration(syncWake.key(userId).field('pollingUntil').set(until, { ifBelow: until }));
  // A longer registration (a WebSocket connection's) already covers every joined room until then.
  if (!current || current.onlineUntil < until) await registerOnline(userId, until);
}

/** Whether a long-poll should renew the user's registration now (its own, not a connection's). */
export function needsRenewal(wake: WakeState, now = Date.now()): boolean {
  return wake.pollingUntil - now < RENEW_BEFORE_MS;
}
