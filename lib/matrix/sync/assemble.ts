// One pass of /sync: read the cut (watermarks first, then memberships), then each room that may
// have changed in the token's window, and the account data changed in its window. The new token
// is the cut: the next sync starts exactly where this one ended, on every lane.
import { inPool } from '../../core/concurrency.ts';
import { includesRoom, matchesEventFilter, type FilterDefinition } from '../filters.ts';
import { ephemeralForSync, newcomersPresence } from '../ephemeral/sync.ts';
import type { JsonObject } from '../canonical-json.ts';
import { fillUnreadNotifications } from '../notifications/sync.ts';
import { keysForSync, type KeysSyncSection } from '../keys/sync.ts';
import { allAccountData, changedAccountData, filterAccountData, roomAccountData } from './account-data.ts';
import { joinedSince, readRoomsCut } from './cut.ts';
import { invitedRoom, joinedRoom, leftRoom, type InvitedRoomSection, type JoinedRoomSection, type LeftRoomSection, type Viewer } from './rooms.ts';
import { inWindow, NOTHING, type ShardPositions, type SyncPosition } from './token.ts';
import { readAllWatermarks, sinceInLanes, type Watermarks } from './watermark.ts';
import { SyncTimelines } from './bundled-timelines.ts';
import { ignoredUsers, inviterOf } from './ignored-users.ts';

export interface SyncParams {
  userId: string;
  deviceId: string;
  since?: SyncPosition;
  fullState: boolean;
  filter: FilterDefinition;
}

/** The encryption fields (lib/matrix/keys/sync.ts) are filled by every pass. */
export interface SyncBody extends Partial<KeysSyncSection> {
  rooms: {
    join: Record<string, JoinedRoomSection>;
    invite: Record<string, InvitedRoomSection>;
    leave: Record<string, LeftRoomSection>;
    /** Pending knocks: the same stripped state an invite shows, under knock_state. */
    knock: Record<string, { knock_state: InvitedRoomSection['invite_state'] }>;
  };
  account_data: { events: { type: string; content: Record<string, unknown> }[] };
  presence: { events: JsonObject[] };
}

export interface SyncPass {
  body: SyncBody;
  next: SyncPosition;
  /** Nothing to deliver: a long-poll may wait. */
  empty: boolean;
}

const ROOM_PARALLELISM = 8;

/** Per lane, the larger of two positions (a token never moves backwards). */
export function furthest(a: ShardPositions, b: ShardPositions): Record<string, string> {
  const out: Record<string, string> = { ...a };
  for (const [shard, position] of Object.entries(b)) if (!(out[shard]! >= position)) out[shard] = position;
  return out;
}

/**
 * `watermarks`: read by the caller for several passes at once (the sync service's woken polls);
 * every read of the pass comes after it either way.
 */
export async function syncOnce(params: SyncParams, shared: { watermarks?: Watermarks } = {}): Promise<SyncPass> {
  const { userId, filter } = params;
  // The users the user ignores: read once, and only when an invite or a timeline is to be shown.
  let ignoredRead: Promise<Set<string>> | undefined;
  const ignored = () => (ignoredRead ??= ignoredUsers(userId));
  const viewer: Viewer = { userId, deviceId: params.deviceId, now: Date.now(), filter, timelines: new SyncTimelines(), ignored };
  // Every stream's watermarks in one read, before anything they bound (see watermark.ts).
  const watermarks = shared.watermarks ?? (await readAllWatermarks());
  const since = params.since && sinceInLanes(params.since, watermarks);
  // What depends only on the watermarks and the token is read at the same time as what depends on
  // the rooms: the pass's sequential round trips are its rooms' (cut, timelines, bundles, counts).
  const accountWatermarks = watermarks.userData;
  const [cut, accountData] = await Promise.all([
    readRoomsCut(userId, watermarks.rooms),
    since ? changedAccountData(userId, since.accountData, accountWatermarks) : allAccountData(userId),
  ]);
  const body: SyncBody = {
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    account_data: { events: filterAccountData(accountData.get('') ?? [], filter.account_data) },
    presence: { events: [] },
  };
  const includeLeave = filter.room?.include_leave === true;
  const roomData = (roomId: string) => filterAccountData(accountData.get(roomId) ?? [], filter.room?.account_data);

  const newlyJoinedRooms: string[] = [];
  // A forgotten room is left out, except for its leave in the incremental sync whose window holds
  // it, so the user's other devices learn it was left (Synapse; Complement's "Leave for forgotten
  // room shows up in v2 incremental /sync").
  const shown = (m: (typeof cut.memberships)[number]) =>
    !m.forgotten || (since !== undefined && inWindow(m.seq, since.rooms[m.lane] ?? NOTHING, cut.watermarks[m.lane] ?? NOTHING));
  const tasks = cut.memberships
    .filter((m) => m.lane && shown(m) && includesRoom(filter, m.roomId))
    .map((m) => async () => {
      const lo = since ? (since.rooms[m.lane] ?? NOTHING) : NOTHING;
      const hi = cut.watermarks[m.lane] ?? NOTHING;
      const membershipChanged = !since || inWindow(m.seq, lo, hi);
      switch (m.membership) {
        case 'join': {
          // New to this chain of tokens (initial sync, or joined in the window): full state and
          // the latest events, as for an initial sync.
          const fresh = !since || (membershipChanged && (await joinedSince(userId, m, lo)));
          const data = fresh && since ? await roomAccountData(userId, m.roomId) : roomData(m.roomId);
          const section = await joinedRoom(m, { lo, hi }, { fresh, fullState: params.fullState, accountData: data }, viewer);
          if (section) body.rooms.join[m.roomId] = section;
          if (fresh && since) newlyJoinedRooms.push(m.roomId);
          break;
        }
        case 'invite':
          if (membershipChanged || params.fullState) {
            const section = await invitedRoom(m);
            const inviter = inviterOf(userId, section);
            if (inviter === undefined || !(await ignored()).has(inviter)) body.rooms.invite[m.roomId] = section;
          }
          break;
        case 'knock':
          if (membershipChanged || params.fullState) body.rooms.knock[m.roomId] = { knock_state: (await invitedRoom(m)).invite_state };
          break;
        case 'leave':
        case 'ban':
          // Exactly once: in the sync whose window holds the leave (initial syncs only on request).
          if (since ? membershipChanged : includeLeave) {
            body.rooms.leave[m.roomId] = await leftRoom(m, { lo, hi }, { fresh: !since, fullState: params.fullState, accountData: roomData(m.roomId) }, viewer);
          }
          break;
        default:
          break;
      }
    });
  const joinedIds = cut.memberships.filter((m) => m.membership === 'join' && m.lane && !m.forgotten && includesRoom(filter, m.roomId)).map((m) => m.roomId);
  const [, ephemeral, keys] = await Promise.all([
    (async () => {
      await inPool(tasks, ROOM_PARALLELISM, (task) => task());
      // Every timeline of the response at once, with its bundled aggregations, and meanwhile the
      // unread notification counts of the joined rooms in it (lib/matrix/notifications).
      await Promise.all([viewer.timelines.format(viewer), fillUnreadNotifications(userId, body.rooms.join)]);
    })(),
    // Typing, receipts and presence of the joined rooms (lib/matrix/ephemeral).
    ephemeralForSync(userId, joinedIds, since?.ephemeral, watermarks),
    // End-to-end encryption: key counts and device-list changes (lib/matrix/keys/sync.ts).
    keysForSync(userId, params.deviceId, since ? since.keys : undefined, since?.toDevice, since?.rooms, cut.memberships, watermarks.keys),
  ]);

  const limitTo = <T>(events: T[], limit?: number) => (limit !== undefined ? events.slice(0, limit) : events);
  const onlyEphemeral: Record<string, JoinedRoomSection> = {};
  for (const [roomId, all] of ephemeral.rooms) {
    const roomFilter = filter.room?.ephemeral;
    const events = limitTo(all.filter((e) => matchesEventFilter(roomFilter, { type: e.type, room_id: roomId })), roomFilter?.limit);
    if (!events.length) continue;
    let section = body.rooms.join[roomId];
    if (!section) {
      section = {
        timeline: { events: [], limited: false },
        state: { events: [] },
        account_data: { events: [] },
        ephemeral: { events: [] },
        summary: {},
        unread_notifications: { highlight_count: 0, notification_count: 0 },
      } as unknown as JoinedRoomSection;
      body.rooms.join[roomId] = onlyEphemeral[roomId] = section;
    }
    section.ephemeral.events.push(...(events as JsonObject[]));
  }
  // Rooms in the response for their typing or receipts only get their counts too (a receipt
  // usually comes with a count change).
  if (Object.keys(onlyEphemeral).length) await fillUnreadNotifications(userId, onlyEphemeral);
  // Presence of the people this sync introduces, whether it changed or not (Synapse).
  if (since && Object.keys(body.rooms.join).length) {
    const already = new Set(ephemeral.presence.map((e) => e.sender));
    ephemeral.presence.push(...(await newcomersPresence(userId, newlyJoinedRooms, joinedInTimelines(userId, body.rooms.join), already)));
  }
  body.presence.events = limitTo(
    ephemeral.presence.filter((e) => matchesEventFilter(filter.presence, { type: e.type, sender: e.sender })),
    filter.presence?.limit,
  ) as unknown as JsonObject[];
  Object.assign(body, keys.section);

  const position: SyncPosition = {
    rooms: furthest(since?.rooms ?? {}, cut.watermarks),
    accountData: furthest(since?.accountData ?? {}, accountWatermarks),
    ephemeral: ephemeral.next,
    keys: keys.next,
    ...(keys.nextToDevice !== undefined ? { toDevice: keys.nextToDevice } : {}),
  };
  const empty =
    !Object.keys(body.rooms.join).length &&
    !Object.keys(body.rooms.invite).length &&
    !Object.keys(body.rooms.knock).length &&
    !Object.keys(body.rooms.leave).length &&
    !body.account_data.events.length &&
    !body.presence.events.length &&
    !keys.news;
  return { body, next: position, empty };
}

/** Users whose join (not a profile change) is in a timeline of this response, other than `userId`. */
function joinedInTimelines(userId: string, rooms: Record<string, JoinedRoomSection>): string[] {
  const users = new Set<string>();
  for (const section of Object.values(rooms)) {
    for (const event of section.timeline.events as unknown as { type: string; state_key?: string; content: JsonObject; unsigned?: { prev_content?: JsonObject } }[]) {
      if (event.type !== 'm.room.member' || event.content.membership !== 'join' || event.state_key === undefined || event.state_key === userId) continue;
      if (event.unsigned?.prev_content?.membership !== 'join') users.add(event.state_key);
    }
  }
  return [...users];
}
