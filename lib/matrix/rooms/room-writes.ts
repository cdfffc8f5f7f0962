// Appending events to a room as the rooms topology does: read only the state the auth rules need,
// authorize each event against the state before it, build it (depth = position, prev_events = the
// previous event), and turn it into PState writes: timeline, event location, state, membership
// indexes and the room's info. One RoomWriter gathers the writes of one applyOnce transaction.
import type { TableWrite } from '../../core/table-writes.ts';
import { ConditionFailedError, getManyAndItems, prepare, type ItemKey, type Knowledge, type WriteOp } from '../../core/pstate/index.ts';
import type { JsonObject } from '../canonical-json.ts';
import { assertAllowed, authorizeEvent } from '../auth-rules.ts';
import { MatrixError, notFound } from '../errors.ts';
import { assertEventSize, buildEvent, replacedStateUnsigned, type RoomEvent, type StoredUnsigned } from '../events.ts';
import { eventLocations, memberRooms, membershipHistory, roomInfo, roomMembers, roomState, roomTimeline, transactionIds } from '../pstates.ts';
import { historyVisibilityOf, MapRoomState, stateKeyOf } from '../room-state.ts';
import { relationWrites } from '../relations/index-writes.ts';
import type { RoomVersion } from '../room-versions.ts';

/** Where the command sits in the depot: what every event it produces records. */
export interface CommandOrigin {
  /** sequencePosition(record.sequenceNumber). */
  seq: string;
  lane: string;
  /** The record's arrival time: every event's origin_server_ts, so a re-plan builds the same event. */
  arrivedAt: number;
}

export interface RoomHead {
  version: RoomVersion;
  lastPosition: number;
  lastEventId: string;
  joinedCount: number;
  invitedCount: number;
  /** The room's activity stamp for room lists (roomInfo.bumpStamp, else its creation). */
  bumpStamp: number;
}

/** The state keys the auth rules read for an event by `sender` about `target`. */
function authStateKeys(sender: string, extra: readonly [string, string][]): string[] {
  const keys: [string, string][] = [
    ['m.room.create', ''],
    ['m.room.power_levels', ''],
    ['m.room.join_rules', ''],
    ['m.room.history_visibility', ''],
    ['m.room.member', sender],
    ...extra,
  ];
  return [...new Set(keys.map(([type, key]) => stateKeyOf(type, key)))];
}

export interface LoadedRoom {
  head: RoomHead;
  state: MapRoomState<RoomEvent>;
}

/**
 * The room's head and the state events the auth rules need (create, power levels, join rules,
 * history visibility, the sender's membership, and the `extra` (type, state key) pairs), read with
 * one consistent BatchGetItem. Unknown room → 404.
 */
export async function loadRoom(roomId: string, sender: string, extra: readonly [string, string][] = []): Promise<LoadedRoom> {
  const { room } = await readRoomAndTransactions(roomId, sender, extra, []);
  if (!room) throw notFound('Unknown room');
  return room;
}

/** What a transaction id recorded: the event it created (lib/matrix/rooms/send.ts). */
export type RecordedTransactionItem = { eventId?: string; roomId?: string } | undefined;

/**
 * `loadRoom`, the items of these transaction ids and the items preparing the plan's writes will
 * read (`prefetch`: returned as `known` for `prepareRoomWrites`), in ONE consistent BatchGetItem
 * instead of one request per transaction id and a second round trip before the commit. `room` is
 * undefined for a room this server does not have: the caller decides whether that is a 404 or a
 * transaction seen before wins.
 */
export async function readRoomAndTransactions(
  roomId: string,
  sender: string,
  extra: readonly [string, string][],
  txnKeys: readonly string[],
  prefetch: readonly ItemKey[] = [],
): Promise<{ room: LoadedRoom | undefined; transactions: RecordedTransactionItem[]; known: Knowledge }> {
  const keys = authStateKeys(sender, extra);
  const {
    values: [info, ...rest],
    known,
  } = await getManyAndItems([roomInfo.key(roomId), ...txnKeys.map((k) => transactionIds.key(k)), ...keys.map((k) => roomState.key(roomId).key(k))], prefetch, {
    consistent: true,
  });
  const transactions = rest.slice(0, txnKeys.length) as RecordedTransactionItem[];
  const events = rest.slice(txnKeys.length) as (RoomEvent | undefined)[];
  // A purged room (lib/matrix/rooms/deletion.ts) is one this server no longer has.
  if (!info || info.lastPosition === undefined || info.purged === true) return { room: undefined, transactions, known };
  const state = new MapRoomState<RoomEvent>();
  for (const event of events) if (event) state.set(event);
  const room: LoadedRoom = {
    head: {
      version: info.version as RoomVersion,
      lastPosition: info.lastPosition,
      lastEventId: info.lastEventId ?? '',
      joinedCount: info.joinedCount ?? 0,
      invitedCount: info.invitedCount ?? 0,
      bumpStamp: info.bumpStamp ?? info.createdTs ?? 0,
    },
    state,
  };
  return { room, transactions, known };
}

export interface EventDraftInput {
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  redacts?: string;
  unsigned?: StoredUnsigned;
  /** A v12 create event's own timestamp: the room id was hashed from it before the command was sent. */
  origin_server_ts?: number;
}

/** The event types that move a room up in room lists (MSC4186 `bump_stamp`, Synapse's DEFAULT_BUMP_EVENT_TYPES). */
export const BUMP_EVENT_TYPES: ReadonlySet<string> = new Set([
  'm.room.create',
  'm.room.message',
  'm.room.encrypted',
  'm.sticker',
  'm.call.invite',
  'm.poll.start',
  'm.beacon_info',
]);

/** Gathers the events and writes of one transaction on one room. */
export class RoomWriter {
  readonly ops: WriteOp[] = [];
  readonly events: RoomEvent[] = [];
  /** Whether an appended event counts as room-list activity (BUMP_EVENT_TYPES). */
  private bumped = false;

  constructor(
    readonly roomId: string,
    readonly head: RoomHead,
    readonly state: MapRoomState<RoomEvent>,
    readonly origin: CommandOrigin,
  ) {}

  /** Authorize the event against the state before it, build it, and add its writes. Throws MatrixError. */
  append(draft: EventDraftInput): RoomEvent {
    assertAllowed(authorizeEvent({ ...draft, room_id: this.roomId }, this.state, this.head.version));
    const previous = draft.state_key !== undefined ? this.state.get(draft.type, draft.state_key) : undefined;
    const replaced = replacedStateUnsigned(previous);
    const unsigned: StoredUnsigned = { ...replaced, ...draft.unsigned };
    const position = this.head.lastPosition + 1;
    const event = buildEvent(
      {
        room_id: this.roomId,
        sender: draft.sender,
        type: draft.type,
        ...(draft.state_key !== undefined ? { state_key: draft.state_key } : {}),
        content: draft.content,
        origin_server_ts: draft.origin_server_ts ?? this.origin.arrivedAt,
        depth: position,
        prev_events: this.head.lastEventId ? [this.head.lastEventId] : [],
        ...(draft.redacts !== undefined ? { redacts: draft.redacts } : {}),
        ...(Object.keys(unsigned).length ? { unsigned } : {}),
      },
      this.head.version,
    );
    assertEventSize(event);
    const visibility = historyVisibilityOf(this.state);
    this.ops.push(
      roomTimeline.key(this.roomId).append({ event, seq: this.origin.seq, visibility }),
      eventLocations.key(event.event_id).set({ roomId: this.roomId, position }, { ifAbsent: true }),
      ...relationWrites(this.roomId, event, position),
    );
    if (event.state_key !== undefined) {
      this.ops.push(roomState.key(this.roomId).key(stateKeyOf(event.type, event.state_key)).set(event));
      if (event.type === 'm.room.member') this.membershipWrites(event, previous, position);
      this.state.set(event);
    }
    this.head.lastPosition = position;
    this.head.lastEventId = event.event_id;
    if (BUMP_EVENT_TYPES.has(event.type)) this.bumped = true;
    this.events.push(event);
    return event;
  }

  private membershipWrites(event: RoomEvent, previous: RoomEvent | undefined, position: number): void {
    const userId = event.state_key!;
    const membership = String(event.content.membership);
    const before = previous?.content.membership;
    if (before === 'join') this.head.joinedCount--;
    if (before === 'invite') this.head.invitedCount--;
    if (membership === 'join') this.head.joinedCount++;
    if (membership === 'invite') this.head.invitedCount++;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    this.ops.push(
      roomMembers.key(this.roomId).key(userId).set({
        membership,
        eventId: event.event_id,
        position,
        displayname: text(event.content.displayname),
        avatarUrl: text(event.content.avatar_url),
      }),
      // A user of sliding sync gets the room's activity index entry after the commit (rooms/activity-index.ts).
      memberRooms.key(userId).key(this.roomId).set({ membership, eventId: event.event_id, position, seq: this.origin.seq, forgotten: false }),
    );
    // A profile change (join → join) is not a membership change.
    if (before !== membership) this.ops.push(membershipHistory.key(this.roomId).key(userId).append({ position, membership }));
  }

  /** The room info writes after the appended events (none when nothing was appended). */
  headWrites(): WriteOp[] {
    if (!this.events.length) return [];
    const info = roomInfo.key(this.roomId);
    return [
      info.field('lastPosition').set(this.head.lastPosition),
      info.field('lastEventId').set(this.head.lastEventId),
      info.field('lastSeq').set(this.origin.seq),
      info.field('shardId').set(this.origin.lane),
      info.field('joinedCount').set(this.head.joinedCount),
      info.field('invitedCount').set(this.head.invitedCount),
      // Both stamps: the bump's fan-out to the members' activity index works from them (activity-index.ts).
      ...(this.bumped ? [info.field('bumpStamp').set(this.origin.arrivedAt), info.field('priorBumpStamp').set(this.head.bumpStamp)] : []),
    ];
  }

  /** Every write of this transaction. */
  writes(): WriteOp[] {
    return [...this.ops, ...this.headWrites()];
  }
}

/**
 * Prepare a command's writes. An own condition that fails (an event id, transaction id, alias or
 * room already written) means an earlier delivery applied these very writes, or another room took
 * the key: a refusal, so applyOnce answers an earlier delivery's outcome instead of retrying forever.
 */
export async function prepareRoomWrites(ops: readonly WriteOp[], options: { firstAttempt?: boolean; known?: Knowledge } = {}): Promise<TableWrite[]> {
  try {
    // A first attempt leaves its conditions to DynamoDB (they nearly always hold: fresh ids and
    // positions); when one fails, applyOnce plans again and the retry reads them to tell why.
    // Items the plan read already (`known`) are not read again.
    return await prepare(ops, { readConditionTargets: !options.firstAttempt, ...(options.known ? { known: options.known } : {}) });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw new MatrixError(409, 'M_UNKNOWN', 'Already written');
    throw e;
  }
}
