// Timeline push: right after the rooms topology has materialised a record's events, every
// connection of the room's online members (and of the users whose membership the record changed)
// gets them as a sync frame. Cost: O(online members) reads, like sync's wake-up. At least once: a
// redelivered record pushes again only to connections whose cursor does not cover it yet.
import { inPool } from '../../core/concurrency.ts';
import { getMany } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import type { JsonObject } from '../canonical-json.ts';
import { INVITE_STATE_TYPES, toClientEvent, toStrippedState, type RoomEvent } from '../events.ts';
import { memberRooms, roomTimeline } from '../pstates.ts';
import type { RoomCommand } from '../rooms/commands.ts';
import { bundlesFor, readAggregationSources, withBundle, type AggregationSources } from '../relations/bundle.ts';
import { readStateEvents } from '../sync/state.ts';
import { entryViewer } from '../sync/timeline.ts';
import { onlineMembers, type RoomAudience } from '../sync/wake.ts';
import { moveCursor, raiseFloor, readConnection, userConnections, type Connection } from './connections.ts';
import { connectedNow } from './online.ts';
import { stepCursor, withLanePosition } from './cursor.ts';
import { decodeSyncToken } from '../sync/token.ts';
import { filterDelta } from './frame-filter.ts';
import { encodeFrame, syncFrame, syncNeededFrame, type SyncDelta } from './frames.ts';
import { pushFrame } from './push.ts';
import { errorText, logger } from '../../core/log.ts';

const log = logger('axon-push');

const MAX_CURSOR_ATTEMPTS = 20;
const PARALLEL_USERS = 16;

/** The users whose own membership a command may change (pushed even when not online in the room). */
function membershipTargets(command: RoomCommand): string[] {
  switch (command.kind) {
    case 'createRoom':
      return command.events.filter((e) => e.type === 'm.room.member' && e.state_key !== undefined).map((e) => e.state_key!);
    case 'membership':
      return [command.target];
    default:
      return [];
  }
}

/** The events a record appended to its room: the timeline's tail entries carrying its seq. */
export async function eventsOfRecord(roomId: string, seq: string): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await roomTimeline.key(roomId).range({ reverse: true, consistent: true, limit: 25, ...(cursor ? { cursor } : {}) });
    for (const [, entry] of page.entries) {
      // Later records of the room cannot be applied yet (one record at a time per lane), but a
      // replay may have run ahead: skip them, stop at the first earlier record.
      if (entry.seq > seq) continue;
      if (entry.seq < seq) return events.reverse();
      events.push(entry.event as RoomEvent);
    }
    cursor = page.cursor;
  } while (cursor);
  return events.reverse();
}

/** What one user is shown of the record's events: a joined room's timeline, an invite, a leave. */
async function deltaFor(
  userId: string,
  roomId: string,
  events: readonly RoomEvent[],
  sources: AggregationSources,
  own: { membership?: string; position?: number } | undefined,
): Promise<((deviceId: string) => SyncDelta) | undefined> {
  const membership = own?.membership;
  const now = Date.now();
  const reader = entryViewer(roomId, userId, { membership: membership ?? 'leave', position: own?.position ?? 0 });
  const bundles = sources.threads.length || sources.edits.length ? await bundlesFor(sources, { userId, visible: (_, entry) => reader.visible(entry) }) : undefined;
  // The user's membership at each event shown (`unsigned.membership`, MSC4115): no read for a joined user's.
  const memberships = async (list: readonly RoomEvent[]) => Promise.all(list.map((event) => reader.membershipAt(event)));
  const client = (list: readonly RoomEvent[], at: readonly string[], deviceId: string) => {
    const format = (event: RoomEvent, membership?: string) =>
      toClientEvent(event, { now, requester: { user_id: userId, device_id: deviceId }, omitRoomId: true, ...(membership !== undefined ? { membership } : {}) });
    return list.map((event, i) => withBundle(format(event, at[i]), bundles?.get(event.event_id), (e) => format(e)) as unknown as JsonObject);
  };
  if (membership === 'join') {
    const at = await memberships(events);
    return (deviceId) => ({ rooms: { join: { [roomId]: { timeline: { events: client(events, at, deviceId) } } } } });
  }
  const ownAt = events.findLastIndex((e) => e.type === 'm.room.member' && e.state_key === userId);
  if (ownAt < 0) return undefined;
  if (membership === 'invite') {
    const state = await readStateEvents(roomId, INVITE_STATE_TYPES.map((type) => [type, ''] as [string, string]));
    const stripped = [...state.filter((e): e is RoomEvent => e !== undefined), events[ownAt]!].map((e) => toStrippedState(e) as unknown as JsonObject);
    return () => ({ rooms: { invite: { [roomId]: { invite_state: { events: stripped } } } } });
  }
  if (membership === 'leave' || membership === 'ban') {
    const shown = events.slice(0, ownAt + 1);
    const at = await memberships(shown);
    return (deviceId) => ({ rooms: { leave: { [roomId]: { timeline: { events: client(shown, at, deviceId) } } } } });
  }
  return undefined;
}

/**
 * The frame did not reach a connection still opening: set the lane back, so later frames do not
 * claim the event. Pushes of one lane run one after the other, so nobody else moved this lane.
 */
async function undoStep(c: Connection, lane: string, seq: string, previous: string | undefined): Promise<void> {
  for (let attempt = 0; attempt < MAX_CURSOR_ATTEMPTS; attempt++) {
    const stored = await readConnection(c.userId, c.connectionId);
    if (!stored || decodeSyncToken(stored.cursor).rooms[lane] !== seq) return;
    if (await moveCursor(stored, stored.cursor, withLanePosition(stored.cursor, lane, previous))) return;
  }
}

/**
 * A record's frame is too large for the channel: the connection's floor rises to it on its lane,
 * so no later frame's next_batch claims it (frames of the lane keep the cursor until the client
 * catches up with /sync and pings with that sync's next_batch), and the client is told to sync.
 */
async function nudgeInstead(start: Connection, lane: string, seq: string): Promise<void> {
  let c: Connection | undefined = start;
  for (let attempt = 0; c && attempt < MAX_CURSOR_ATTEMPTS; attempt++) {
    const floorAt = decodeSyncToken(c.floor).rooms[lane];
    if (floorAt !== undefined && floorAt >= seq) break;
    if (await raiseFloor(c, c.floor, withLanePosition(c.floor, lane, seq))) break;
    c = await readConnection(c.userId, c.connectionId);
  }
  if (c) await pushFrame(c, syncNeededFrame('frame_too_large'));
}

/** Advance one connection's cursor for an event at (lane, seq) and push the frame. */
async function pushToConnection(start: Connection, lane: string, seq: string, delta: (deviceId: string) => SyncDelta): Promise<void> {
  // What the connection's filter hides is not pushed, and its cursor stays (a catch-up /sync with
  // the same filter hides it too).
  const data = filterDelta(delta(start.deviceId), start.filter);
  if (!data) return;
  let c: Connection | undefined = start;
  for (let attempt = 0; c && attempt < MAX_CURSOR_ATTEMPTS; attempt++) {
    const step = stepCursor(c.cursor, c.floor, lane, seq);
    if (step.kind === 'covered') return;
    if (encodeFrame(syncFrame(step.next, data)) === undefined) return nudgeInstead(c, lane, seq);
    if (step.next === c.cursor || (await moveCursor(c, c.cursor, step.next))) {
      const outcome = await pushFrame(c, syncFrame(step.next, data));
      if (outcome === 'opening' && step.next !== c.cursor) await undoStep(c, lane, seq, decodeSyncToken(c.cursor).rooms[lane]);
      return;
    }
    // Another lane's push moved the cursor meanwhile: start again from the stored one.
    c = await readConnection(c.userId, c.connectionId);
  }
  if (c) log.warn(`cursor of ${c.connectionId} kept changing; frame for ${seq} not pushed`);
}

/**
 * For the rooms topology, after a record's commit (outside its transaction). `audience`: whom the
 * record concerns with their wake states, as the wake-ups just read them (read here when absent);
 * `appended`: the record's events as committed (read back from the timeline when absent).
 * Never throws: a failed push is caught up by the client's /sync from its last frame's next_batch.
 */
export async function pushAfterRoomCommit(
  record: Pick<DepotRecord<RoomCommand>, 'payload' | 'lane' | 'sequenceNumber'>,
  audience?: RoomAudience,
  appended?: readonly RoomEvent[],
): Promise<void> {
  try {
    const roomId = record.payload?.roomId;
    if (!roomId) return;
    const seq = sequencePosition(record.sequenceNumber);
    // Whom the record may concern: the room's online members and the users whose membership it
    // changes. Only those that may be connected cost a Query of their connections; with none,
    // nothing more is read.
    const now = Date.now();
    const users = audience
      ? audience.users.filter((_, i) => audience.states[i]!.connectedUntil > now)
      : await connectedNow([...new Set([...(await onlineMembers(roomId)), ...membershipTargets(record.payload)])], now);
    const connected = (await inPool(users, PARALLEL_USERS, async (userId) => ({ userId, conns: await userConnections(userId) }))).filter((u) => u.conns.length);
    if (!connected.length) return;
    const events = appended ?? (await eventsOfRecord(roomId, seq));
    if (!events.length) return;
    // Bundled aggregations: the indexes are read once for every recipient (a new event has none
    // yet, but a redelivered record's may have gained replies or edits since).
    const sources = await readAggregationSources([{ roomId, events }]);
    // Each recipient's membership (what they are shown): one consistent BatchGetItem per 100.
    const memberships = await getMany(connected.map(({ userId }) => memberRooms.key(userId).key(roomId)), { consistent: true });
    await inPool(connected, PARALLEL_USERS, async ({ userId, conns }, i) => {
      const delta = await deltaFor(userId, roomId, events, sources, memberships[i]);
      if (delta) await Promise.all(conns.map((c) => pushToConnection(c, record.lane, seq, delta)));
    });
  } catch (err) {
    log.warn(`timeline push for ${record.lane}/${record.sequenceNumber} failed: ${errorText(err)}`);
  }
}
