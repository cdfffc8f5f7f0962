// Operations on the ephemeral depot, shared by the HTTP routes and the WebSocket actions: they
// check who may do what, then append. Typing returns once appended (its consumers tolerate the few
// hundred ms of the batching window; a keystroke should not wait for a commit); receipts and
// PUT /presence wait for the batch's commit (append with ack), so a read after the response sees
// the write.
import { getMany } from '../../core/pstate/index.ts';
import { appendCommands, COMMAND_TIMEOUT_MS, submit } from '../commands.ts';
import { forbidden, notFound } from '../errors.ts';
import { eventLocations, presence as presencePState, roomMembers } from '../pstates.ts';
import type { UserDataCommand } from '../user-data/commands.ts';
import type { EphemeralCommand, PresenceState, ReceiptType } from './commands.ts';
import { presenceView, type PresenceView, type StoredPresence } from './presence.ts';
import { clampTypingTimeout } from './typing.ts';

const DEPOT = 'ephemeral';

async function append(partitionKey: string, command: EphemeralCommand): Promise<void> {
  await appendCommands(DEPOT, [{ partitionKey, command }]);
}

async function assertJoined(userId: string, roomId: string): Promise<void> {
  const member = await roomMembers.key(roomId).key(userId).get();
  if (member?.membership !== 'join') throw forbidden(`${userId} is not in room ${roomId}`);
}

/**
 * Start (`timeoutMs` defaults to 30 s, capped at 120 s) or stop typing in a joined room. A
 * shadow-banned user's typing is dropped once checked, answered as if sent (Synapse's).
 */
export async function submitTyping(userId: string, roomId: string, typing: boolean, timeoutMs?: number, shadowBanned = false): Promise<void> {
  await assertJoined(userId, roomId);
  if (shadowBanned) return;
  await append(roomId, { kind: 'ephemeral.typing', roomId, userId, typing, timeoutMs: typing ? clampTypingTimeout(timeoutMs) : 0 });
}

export interface PresenceOptions {
  /** A string sets the status message, null clears it, undefined keeps it. */
  statusMsg?: string | null;
  /** Wait until the change is committed (PUT /presence); otherwise return once appended. */
  waitForCommit?: boolean;
  /** The device setting it (a sync or PUT /presence), so its own later syncs may lower it. */
  deviceId?: string;
}

/** Set the user's own presence. */
export async function submitPresence(userId: string, presence: PresenceState, options: PresenceOptions = {}): Promise<void> {
  const command: EphemeralCommand = {
    kind: 'ephemeral.presence',
    userId,
    presence,
    ...(options.statusMsg !== undefined ? { statusMsg: options.statusMsg } : {}),
    ...(options.deviceId !== undefined ? { deviceId: options.deviceId } : {}),
  };
  if (options.waitForCommit) await submit(DEPOT, userId, command, COMMAND_TIMEOUT_MS);
  else await append(userId, command);
}

/** Check a receipt/read-marker request before any of it is written: joined, events in the room. */
export async function checkReadMarkers(userId: string, roomId: string, eventIds: readonly string[]): Promise<number[]> {
  await assertJoined(userId, roomId);
  const locations = eventIds.length ? await getMany(eventIds.map((id) => eventLocations.key(id))) : [];
  return eventIds.map((eventId, i) => {
    const location = locations[i];
    if (location?.roomId !== roomId || location.position === undefined) throw notFound(`Event ${eventId} not found in room ${roomId}`);
    return location.position;
  });
}

/** A receipt whose room membership and event were already checked (checkReadMarkers). */
export async function submitCheckedReceipt(userId: string, roomId: string, receiptType: ReceiptType, eventId: string, position: number, threadId = ''): Promise<void> {
  const command: EphemeralCommand = { kind: 'ephemeral.receipt', roomId, userId, receiptType, eventId, position, threadId };
  await submit(DEPOT, roomId, command);
}

/** The fully-read marker is room account data (`m.fully_read`), applied by the user-data topology. */
export async function submitFullyRead(userId: string, roomId: string, eventId: string): Promise<void> {
  const command: UserDataCommand = { kind: 'userData.accountData', userId, roomId, type: 'm.fully_read', content: { event_id: eventId } };
  await submit('users', userId, command);
}

/** How stale the recorded activity of an online user may get before a sync records it again. */
export const ACTIVITY_REFRESH_MS = 60_000;

/**
 * Presence from a /sync (`set_presence`, online when absent): appended only when it changes what
 * others see or the recorded activity is over a minute old, so syncing costs no depot write per
 * poll, and never waits. As Synapse (`set_state(..., is_sync=True)` behind `user_syncing`):
 * - `set_presence=offline` leaves presence alone (Synapse: `affect_presence = set_presence != offline`),
 *   so a client can sync without being marked anything;
 * - the status message is kept (a sync never sets one);
 * - otherwise the sync's state is the user's, even over an `unavailable` set by PUT /presence:
 *   Synapse protects only `busy` (MSC3026, which Axon does not serve) from syncs, and a client that
 *   wants to stay away syncs with `set_presence=unavailable`, as Element does.
 */
export async function refreshPresence(userId: string, deviceId: string, state: PresenceState, now = Date.now()): Promise<void> {
  if (state === 'offline') return;
  const stored = await presencePState.key(userId).get();
  const current = stored?.shardId ? (stored as StoredPresence) : undefined;
  const view = presenceView(current, now);
  const stale = state === 'online' && now - (current?.lastActiveTs ?? 0) > ACTIVITY_REFRESH_MS;
  if (view.presence === state && !stale) return;
  if (state === 'unavailable' && anotherDeviceOnlineRecently(view, current, deviceId, now)) return;
  await submitPresence(userId, state, { deviceId });
}

/**
 * Synapse keeps a state per device and shows the highest (online over unavailable), so a phone
 * syncing with `set_presence=unavailable` does not make a user whose desktop syncs online look
 * away. Axon keeps one state per user and the device that last went online: a sync asking for
 * unavailable leaves an online alone while another device refreshed it within this window (syncs
 * refresh it every ACTIVITY_REFRESH_MS), instead of the two devices flipping it, and notifying
 * every co-member, on every poll. The device that set online itself lowers it at once, as in
 * Synapse (Complement's "Presence can be set from sync"). An online of unknown device (a WebSocket
 * frame, a record from before devices were kept) counts as another device's.
 */
export const ONLINE_DEVICE_WINDOW_MS = 2 * ACTIVITY_REFRESH_MS;

function anotherDeviceOnlineRecently(view: PresenceView, current: StoredPresence | undefined, deviceId: string, now: number): boolean {
  return (
    view.presence === 'online' &&
    current !== undefined &&
    current.activeDeviceId !== deviceId &&
    now - current.lastActiveTs < ONLINE_DEVICE_WINDOW_MS
  );
}
