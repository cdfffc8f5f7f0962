// One pass of sliding sync: the cut (watermarks, then the user's memberships, as /sync reads it:
// lib/matrix/sync/cut.ts), the lists over the user's rooms ordered by activity, the rooms of their
// windows and of the subscriptions, each room's result against what the connection has, and the
// extensions. The next position is the cut, so a client following `pos` gets every event of a room
// it keeps in view exactly once; a room that leaves every window is dropped from the connection
// and comes back as `initial` (the latest events again, the client replaces what it had).
import { getMany } from '../../core/pstate/index.ts';
import { fillUnreadNotifications } from '../notifications/sync.ts';
import { accountData, roomState } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { accountDataKey } from '../user-data/account-data.ts';
import { furthest } from '../sync/assemble.ts';
import { SyncTimelines } from '../sync/bundled-timelines.ts';
import { readRoomsCut, type Membership, type RoomsCut } from '../sync/cut.ts';
import { withoutIgnoredInvites } from '../sync/ignored-users.ts';
import { NOTHING, type ShardPositions, type SyncPosition } from '../sync/token.ts';
import { LISTED_MEMBERSHIPS, activityIndexKept } from '../rooms/activity-index.ts';
import { ensureActivityIndex, indexedRoomCount, newestRooms } from './activity.ts';
import { readAllWatermarks, sinceInLanes } from '../sync/watermark.ts';
import { sameState, type ConnectionState, type LoadedConnection } from './connection.ts';
import { extensionsFor, type Extensions } from './extensions.ts';
import { combineConfigs, configKey } from './room-config.ts';
import { byActivity, evaluateList, filteredSpaces, listable, needsStateFacts, needsTags, type RoomFacts, type SpaceChildren } from './room-list.ts';
import { spaceChildIds } from '../spaces/hierarchy.ts';
import { readNames, roomResult, type PendingRoom, type RoomResult } from './rooms.ts';
import type { ExtensionName, ListRequest, RoomConfig, SlidingSyncRequest } from './request.ts';
import { coveredToKeep, previouslyCovered, roomsByExtension, stickyScopes } from './extension-scope.ts';

export interface SlidingSyncBody {
  lists: Record<string, { count: number }>;
  rooms: Record<string, RoomResult>;
  extensions: Extensions;
}

export interface SlidingPass {
  body: SlidingSyncBody;
  next: SyncPosition;
  /** The connection's state after this response (connection.ts). */
  state: Omit<ConnectionState, 'parent'>;
  /** Nothing to deliver: a long-poll may wait. */
  empty: boolean;
}

export interface PassParams {
  userId: string;
  deviceId: string;
  request: SlidingSyncRequest;
  connection: LoadedConnection;
}

/** The rooms of the user's m.direct account data. */
async function directRooms(userId: string): Promise<Set<string>> {
  const content = await accountData.key(userId).key(accountDataKey(undefined, 'm.direct')).get({ consistent: true });
  const out = new Set<string>();
  for (const rooms of Object.values(content ?? {})) if (Array.isArray(rooms)) for (const id of rooms) if (typeof id === 'string') out.add(id);
  return out;
}

/** Encryption and room type of rooms (one BatchGet), read only when a list filters on them. */
async function stateFacts(roomIds: readonly string[], dm: ReadonlySet<string>): Promise<Map<string, RoomFacts>> {
  const events = await getMany(
    roomIds.flatMap((id) => [roomState.key(id).key(stateKeyOf('m.room.encryption', '')), roomState.key(id).key(stateKeyOf('m.room.create', ''))]),
    { consistent: true },
  );
  return new Map(
    roomIds.map((id, i) => {
      const type = (events[2 * i + 1] as { content?: { type?: unknown } } | undefined)?.content?.type;
      return [id, { isDm: dm.has(id), isEncrypted: events[2 * i] !== undefined, roomType: typeof type === 'string' ? type : null }];
    }),
  );
}

/** The user's m.tag tags of rooms (one BatchGet of their room account data). */
async function roomTags(userId: string, roomIds: readonly string[]): Promise<Map<string, string[]>> {
  const contents = await getMany(roomIds.map((id) => accountData.key(userId).key(accountDataKey(id, 'm.tag'))), { consistent: true });
  return new Map(roomIds.map((id, i) => {
    const tags = (contents[i] as { tags?: unknown } | undefined)?.tags;
    return [id, tags && typeof tags === 'object' ? Object.keys(tags) : []];
  }));
}

function enabledExtensions(previous: readonly ExtensionName[], requested: SlidingSyncRequest['extensions']): ExtensionName[] {
  const on = new Set(previous);
  for (const [name, enabled] of Object.entries(requested) as [ExtensionName, boolean][]) {
    if (enabled) on.add(name);
    else on.delete(name);
  }
  return [...on].sort();
}

/**
 * How many rooms, newest first, the lists' ranges reach; undefined when a list needs every room
 * (no ranges, or filters: those read every room's facts, and their count needs them all).
 */
export function windowReach(lists: ReadonlyMap<string, ListRequest>): number | undefined {
  let reach = 0;
  for (const list of lists.values()) {
    if (!list.ranges || Object.keys(list.filters).length) return undefined;
    for (const [, end] of list.ranges) reach = Math.max(reach, end + 1);
  }
  return reach;
}

/**
 * The cut over the rooms the windows can show: the newest `reach` rooms of the activity index
 * (more when some entries no longer hold) and the rooms the connection has or subscribes to,
 * with the number of indexed rooms. Reads do not grow with the user's number of rooms.
 */
async function windowedCut(userId: string, watermarks: ShardPositions, reach: number, known: readonly string[]): Promise<{ cut: RoomsCut; indexed: number }> {
  if (reach === 0) return { cut: await readRoomsCut(userId, watermarks, known), indexed: 0 };
  await ensureActivityIndex(userId);
  // Entries that no longer hold (a race with the topology) are skipped: then more are read.
  for (let limit = reach; ; limit *= 2) {
    const [window, indexed] = await Promise.all([newestRooms(userId, limit), indexedRoomCount(userId)]);
    const cut = await readRoomsCut(userId, watermarks, [...new Set([...window.roomIds, ...known])]);
    const inWindow = new Set(window.roomIds);
    const listed = cut.memberships.filter((m) => inWindow.has(m.roomId) && listable(m, undefined)).length;
    if (listed >= reach || window.exhausted) return { cut, indexed };
  }
}

export async function slidingSyncOnce({ userId, deviceId, request, connection }: PassParams): Promise<SlidingPass> {
  const now = Date.now();
  const watermarks = await readAllWatermarks();
  const since = connection.since && sinceInLanes(connection.since, watermarks);
  const sent = connection.state.rooms;
  const subs: Record<string, RoomConfig> = { ...connection.state.subs };
  for (const roomId of request.unsubscribeRooms) delete subs[roomId];
  for (const [roomId, config] of request.roomSubscriptions) subs[roomId] = config;
  const ext = enabledExtensions(connection.state.ext, request.extensions);
  const scopes = stickyScopes(connection.state.scopes, request.extensionScopes);

  // Without the activity index, every list reads all of the user's rooms.
  const reach = activityIndexKept() ? windowReach(request.lists) : undefined;
  const known = [...new Set([...Object.keys(sent), ...Object.keys(subs)])];
  const windowed = reach === undefined ? undefined : await windowedCut(userId, watermarks.rooms, reach, known);
  const cut = windowed?.cut ?? (await readRoomsCut(userId, watermarks.rooms));
  // Invites from users the user ignores are not shown at all, in lists or subscriptions (as /sync).
  const memberships = await withoutIgnoredInvites(userId, cut.memberships);
  const byRoom = new Map(memberships.map((m) => [m.roomId, m]));

  // The lists, over the rooms that may be listed, newest activity first.
  const ordered = memberships.filter((m) => listable(m, sent[m.roomId]?.m)).sort(byActivity);
  const dm = await directRooms(userId);
  const facts: Map<string, RoomFacts> = needsStateFacts(request.lists.values())
    ? await stateFacts(ordered.map((m) => m.roomId), dm)
    : new Map(ordered.map((m) => [m.roomId, { isDm: dm.has(m.roomId) }]));
  if (needsTags(request.lists.values())) {
    for (const [roomId, tags] of await roomTags(userId, ordered.map((m) => m.roomId))) facts.set(roomId, { ...facts.get(roomId)!, tags });
  }
  // The `spaces` filter: the children of the spaces named that the user is joined to (MSC4186: not of subspaces).
  const spaces: SpaceChildren = new Map(
    await Promise.all(
      filteredSpaces(request.lists.values())
        .filter((space) => byRoom.get(space)?.membership === 'join')
        .map(async (space): Promise<[string, Set<string>]> => [space, new Set(await spaceChildIds(space))]),
    ),
  );
  const lists: SlidingSyncBody['lists'] = {};
  const listWindows = new Map<string, string[]>();
  const wanted = new Map<string, { m: Membership; configs: RoomConfig[]; lists: string[] }>();
  const want = (m: Membership, config: RoomConfig, list?: string) => {
    const entry = wanted.get(m.roomId) ?? { m, configs: [], lists: [] };
    entry.configs.push(config);
    if (list !== undefined) entry.lists.push(list);
    wanted.set(m.roomId, entry);
  };
  // A windowed list counts the indexed rooms (but the ignored invites) and the left rooms it still shows (never indexed).
  const total = windowed && windowed.indexed - (cut.memberships.length - memberships.length) + ordered.filter((m) => !LISTED_MEMBERSHIPS.has(m.membership)).length;
  for (const [name, list] of request.lists) {
    const outcome = evaluateList(list, ordered, facts, total, spaces);
    lists[name] = { count: outcome.count };
    listWindows.set(name, outcome.roomIds);
    for (const roomId of outcome.roomIds) want(byRoom.get(roomId)!, list, name);
  }
  // A subscription shows a room the user is or was in (no peeking).
  const subscribed = new Set<string>();
  for (const [roomId, config] of Object.entries(subs)) {
    const m = byRoom.get(roomId);
    if (m?.lane && !m.forgotten && (m.membership !== 'leave' || sent[roomId] || request.roomSubscriptions.has(roomId))) {
      want(m, config);
      subscribed.add(roomId);
    }
  }

  // Each room against what the connection has.
  const viewer = { userId, deviceId, now, timelines: new SyncTimelines() };
  const named = [...wanted.values()].filter(({ m }) => m.membership !== 'invite' && m.membership !== 'knock').map(({ m }) => m.roomId);
  const names = named.length ? await readNames(named) : new Map();
  const rooms: Record<string, RoomResult> = {};
  const nextRooms: ConnectionState['rooms'] = {};
  const fresh = new Set<string>();
  const pending: [string, PendingRoom][] = [];
  await Promise.all(
    [...wanted.values()].map(async ({ m, configs, lists: listNames }) => {
      const config = combineConfigs(configs);
      const key = configKey(config);
      const prior = sent[m.roomId];
      const initial = !prior || prior.c !== key || prior.m !== m.membership;
      if (initial) fresh.add(m.roomId);
      const lo = since ? (since.rooms[m.lane] ?? NOTHING) : NOTHING;
      const hi = cut.watermarks[m.lane] ?? NOTHING;
      const room = await roomResult({ m, config, initial, lo, hi, lists: listNames, isDm: dm.has(m.roomId) }, names, viewer);
      nextRooms[m.roomId] = { c: key, m: m.membership };
      if (room) pending.push([m.roomId, room]);
    }),
  );
  await viewer.timelines.format({ ...viewer, filter: {} });
  for (const [roomId, { result, section }] of pending.sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (section) result.timeline = section.events;
    rooms[roomId] = result;
  }
  const joined = Object.fromEntries(
    pending.filter(([, p]) => p.result.membership === 'join').map(([roomId]) => [roomId, { unread_notifications: { notification_count: 0, highlight_count: 0 } }]),
  );
  await fillUnreadNotifications(userId, joined);
  for (const [roomId, { unread_notifications: counts }] of Object.entries(joined)) Object.assign(rooms[roomId]!, counts);

  const scope = roomsByExtension(scopes, listWindows, subscribed);
  const joinedRooms = [...wanted.values()].filter(({ m }) => m.membership === 'join').map(({ m }) => m.roomId);
  const extensions = await extensionsFor({
    userId,
    deviceId,
    enabled: new Set(ext),
    since,
    watermarks,
    ...(windowed ? {} : { memberships: cut.memberships }),
    rooms: [...wanted.values()].filter(({ m }) => m.membership === 'join').map(({ m }) => ({ roomId: m.roomId, fresh: fresh.has(m.roomId) })),
    scope,
    covered: previouslyCovered(connection.state),
    toDeviceSince: request.toDeviceSince ?? since?.toDevice,
  });

  const counts = Object.fromEntries(Object.entries(lists).map(([name, list]) => [name, list.count]));
  const covered = coveredToKeep(scopes, ext, scope, joinedRooms);
  const state = { rooms: nextRooms, subs, counts, ext, ...(Object.keys(scopes).length ? { scopes } : {}), ...(Object.keys(covered).length ? { covered } : {}) };
  const { parent: _parent, ...previous } = connection.state;
  const empty = !Object.keys(rooms).length && !extensions.news && sameState(previous, state);
  return {
    body: { lists, rooms, extensions: extensions.extensions },
    next: { rooms: furthest(since?.rooms ?? {}, cut.watermarks), ...extensions.next },
    state,
    empty,
  };
}
