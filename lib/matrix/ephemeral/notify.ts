// After a batch commits: tell the online users what it changed. Each recipient gets ONE frame per
// connection per batch, holding every change of the batch they may see (typing and receipts of
// rooms they are joined and online in, presence of users they share a room with), and a waiting /sync is
// woken once. Recipients are found through `roomOnlineMembers` (long-pollers and WebSocket
// connections), so the work is O(online members of the touched rooms), not O(members).
// Pushes are notifications: a lost one is caught up by /sync from the committed state.
import { inPool } from '../../core/concurrency.ts';
import { getMany } from '../../core/pstate/index.ts';
import type { JsonObject } from '../canonical-json.ts';
import { memberRooms } from '../pstates.ts';
import { pushToUser } from '../push/push.ts';
import type { SyncDelta } from '../push/frames.ts';
import { onlineMembers, wakePollingUsers } from '../sync/wake.ts';
import type { EphemeralChanges } from './fold.ts';
import { presenceEvent, presenceView } from './presence.ts';
import { receiptEvent, visibleTo } from './receipts.ts';
import { typingEvent } from './typing.ts';
import { errorText, logger } from '../../core/log.ts';

const log = logger('axon-push');

/** Presence fan-out per subject: their first rooms only, so one user in 10,000 rooms stays bounded. */
export const PRESENCE_FANOUT_ROOMS = 50;
const PARALLEL = 16;

interface Delivery {
  rooms: Map<string, JsonObject[]>;
  presence: JsonObject[];
}

async function joinedRooms(userId: string): Promise<string[]> {
  const page = await memberRooms.key(userId).range({ limit: 500 });
  return page.entries.filter(([, m]) => m.membership === 'join').map(([roomId]) => roomId).slice(0, PRESENCE_FANOUT_ROOMS);
}

/**
 * The room's online members that are joined now. The online list is a registration (it outlives
 * a kick, and an invitee or knocker may be on it): each one's membership is read (consistent
 * BatchGetItem per 100), so nobody gets a room's typing, receipts or co-members' presence from
 * the moment they are no longer joined.
 */
async function joinedOnlineMembers(roomId: string, now: number): Promise<string[]> {
  const users = await onlineMembers(roomId, now);
  if (!users.length) return users;
  const memberships = await getMany(users.map((u) => memberRooms.key(u).key(roomId)), { consistent: true });
  return users.filter((_, i) => memberships[i]?.membership === 'join');
}

/** Who gets what from a committed batch. */
export async function deliveriesOf(changes: EphemeralChanges, now = Date.now()): Promise<Map<string, Delivery>> {
  const out = new Map<string, Delivery>();
  const of = (userId: string) => {
    let d = out.get(userId);
    if (!d) out.set(userId, (d = { rooms: new Map(), presence: [] }));
    return d;
  };
  const onlineCache = new Map<string, Promise<string[]>>();
  const online = (roomId: string) => {
    let p = onlineCache.get(roomId);
    if (!p) onlineCache.set(roomId, (p = joinedOnlineMembers(roomId, now)));
    return p;
  };

  const roomIds = [...new Set([...changes.typing.keys(), ...changes.receipts.keys()])];
  for (const roomId of roomIds) {
    const typing = changes.typing.get(roomId);
    const receipts = changes.receipts.get(roomId) ?? [];
    for (const userId of await online(roomId)) {
      const events: JsonObject[] = [];
      if (typing) events.push(typingEvent(typing) as JsonObject);
      const receipt = receiptEvent(receipts.filter(([key]) => visibleTo(userId, key)));
      if (receipt) events.push(receipt as JsonObject);
      if (events.length) of(userId).rooms.set(roomId, events);
    }
  }

  for (const [subject, stored] of changes.presence) {
    const event = presenceEvent(subject, presenceView(stored, now)) as unknown as JsonObject;
    const recipients = new Set<string>([subject]);
    for (const roomId of await joinedRooms(subject)) for (const u of await online(roomId)) recipients.add(u);
    for (const userId of recipients) of(userId).presence.push(event);
  }
  return out;
}

function deltaOf(d: Delivery): SyncDelta {
  const delta: SyncDelta = {};
  if (d.rooms.size) {
    delta.rooms = { join: Object.fromEntries([...d.rooms].map(([roomId, events]) => [roomId, { ephemeral: { events } }])) };
  }
  if (d.presence.length) delta.presence = { events: d.presence };
  return delta;
}

/**
 * From one read of the recipients' wake states (a consistent BatchGetItem per 100): wake those
 * that long-poll (members online only through a WebSocket connection get the frame, not a wake
 * write) and push one frame to each connection of those that may be connected (long-pollers cost
 * no connections Query). Never throws.
 */
export async function notifyEphemeralChanges(changes: EphemeralChanges): Promise<void> {
  try {
    const deliveries = await deliveriesOf(changes);
    if (!deliveries.size) return;
    // One read of the recipients' wake states: wake those that long-poll, push to those connected.
    const now = Date.now();
    const { users, states } = await wakePollingUsers(deliveries.keys(), now);
    const connected = new Set(users.filter((_, i) => states[i]!.connectedUntil > now));
    await inPool([...deliveries].filter(([userId]) => connected.has(userId)), PARALLEL, ([userId, d]) => pushToUser(userId, deltaOf(d)));
  } catch (err) {
    log.warn(`ephemeral push for batch ${changes.shardId}/${changes.seq} failed: ${errorText(err)}`);
  }
}
