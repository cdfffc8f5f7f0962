// One room's result in a sliding sync response (MSC4186 RoomResult). Initial (the room is new to
// the connection, its config or the user's membership changed): the latest `timeline_limit` events
// up to the cut and the required state as of the cut. Otherwise the events in the position's window
// (lo, hi] of the room's lane, exactly as /sync delivers them (lib/matrix/sync/timeline.ts), and
// the required state that changed in it; nothing at all when nothing did. Invites and knocks carry
// their stripped state, under both names clients read (`invite_state`, the MSC's `stripped_state`).
import { getMany } from '../../core/pstate/index.ts';
import { toClientEvent, type ClientEvent, type RoomEvent, type StrippedStateEvent } from '../events.ts';
import { roomMembers, roomState } from '../pstates.ts';
import { roomSummary } from '../room-summary.ts';
import { stateKeyOf } from '../room-state.ts';
import { positionToken } from '../tokens.ts';
import type { SyncTimelines, TimelineSection } from '../sync/bundled-timelines.ts';
import type { Membership } from '../sync/cut.ts';
import { invitedRoom } from '../sync/rooms.ts';
import { stateChangedSince } from '../sync/state-delta.ts';
import { readStateEvents } from '../sync/state.ts';
import { entryViewer, readTimelineWindow } from '../sync/timeline.ts';
import { NOTHING } from '../sync/token.ts';
import { exactKeys, isRequired, wantsLazyMembers, type EffectiveConfig } from './room-config.ts';

export interface Hero {
  user_id: string;
  displayname?: string;
  avatar_url?: string;
}

export interface RoomResult {
  name?: string;
  avatar?: string;
  heroes?: Hero[];
  initial?: boolean;
  membership?: string;
  lists?: string[];
  is_dm?: boolean;
  required_state?: Partial<ClientEvent>[];
  timeline?: Partial<ClientEvent>[];
  prev_batch?: string;
  limited?: boolean;
  num_live?: number;
  bump_stamp?: number;
  joined_count?: number;
  invited_count?: number;
  notification_count?: number;
  highlight_count?: number;
  invite_state?: StrippedStateEvent[];
  stripped_state?: StrippedStateEvent[];
}

export interface RoomViewer {
  userId: string;
  deviceId: string;
  now: number;
  timelines: SyncTimelines;
}

export interface RoomRequest {
  m: Membership;
  config: EffectiveConfig;
  initial: boolean;
  /** The position's window of the room's lane: `lo` what the connection has (NOTHING: none), `hi` the cut. */
  lo: string;
  hi: string;
  lists: string[];
  isDm: boolean;
}

/** A room result and, for joined and left rooms, its timeline section (filled when the response's timelines are formatted). */
export interface PendingRoom {
  result: RoomResult;
  section?: TimelineSection;
}

const MAX_HEROES = 5;

function clientEvent(event: RoomEvent, viewer: RoomViewer): ClientEvent {
  return toClientEvent(event, { now: viewer.now, requester: { user_id: viewer.userId, device_id: viewer.deviceId }, omitRoomId: true });
}

/** The members the timeline needs (MSC4186 lazy_members): its senders and the targets of its member events. */
function lazyMemberIds(events: readonly RoomEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    ids.add(e.sender);
    if (e.type === 'm.room.member' && e.state_key !== undefined) ids.add(e.state_key);
  }
  return ids;
}

/** The required state as of position `upTo` (events past it are the next response's). */
async function requiredState(roomId: string, config: EffectiveConfig, userId: string, lazy: ReadonlySet<string>, upTo: number): Promise<RoomEvent[]> {
  const exact = exactKeys(config, userId);
  let events: RoomEvent[];
  if (exact) {
    const keys = new Map<string, [string, string]>();
    for (const [type, key] of [...exact, ...[...lazy].map((id) => ['m.room.member', id] as [string, string])]) keys.set(stateKeyOf(type, key), [type, key]);
    if (!keys.size) return [];
    events = (await readStateEvents(roomId, [...keys.values()])).filter((e): e is RoomEvent => e !== undefined);
  } else {
    const all = await roomState.key(roomId).entries({ consistent: true, limit: 500 });
    events = all
      .map(([, e]) => e as RoomEvent)
      .filter((e) => isRequired(config, e.type, e.state_key ?? '', userId) || (e.type === 'm.room.member' && lazy.has(e.state_key ?? '')));
  }
  return events.filter((e) => e.depth <= upTo).sort((a, b) => a.depth - b.depth);
}

async function heroes(roomId: string, userId: string): Promise<Hero[]> {
  const page = await roomMembers.key(roomId).range({ limit: 20 });
  const members = new Map(page.entries);
  const ids = roomSummary(
    page.entries.map(([id, entry]) => ({ userId: id, membership: entry.membership ?? 'leave', position: entry.position ?? 0 })),
    userId,
    false,
  )['m.heroes'] ?? [];
  return ids.slice(0, MAX_HEROES).map((id) => {
    const entry = members.get(id);
    return { user_id: id, ...(entry?.displayname ? { displayname: entry.displayname } : {}), ...(entry?.avatarUrl ? { avatar_url: entry.avatarUrl } : {}) };
  });
}

/** Name and avatar of rooms (one BatchGet for all of them): absent when unset or removed. */
export async function readNames(roomIds: readonly string[]): Promise<Map<string, { name?: string; avatar?: string }>> {
  const events = await getMany(
    roomIds.flatMap((id) => [roomState.key(id).key(stateKeyOf('m.room.name', '')), roomState.key(id).key(stateKeyOf('m.room.avatar', ''))]),
    { consistent: true },
  );
  const text = (e: unknown, field: string) => {
    const value = (e as RoomEvent | undefined)?.content?.[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return new Map(
    roomIds.map((id, i) => {
      const name = text(events[2 * i], 'name');
      const avatar = text(events[2 * i + 1], 'url');
      return [id, { ...(name ? { name } : {}), ...(avatar ? { avatar } : {}) }];
    }),
  );
}

function common(r: RoomRequest): RoomResult {
  return {
    ...(r.initial ? { initial: true } : {}),
    membership: r.m.membership,
    ...(r.lists.length ? { lists: r.lists } : {}),
    bump_stamp: r.m.bumpStamp,
    ...(r.isDm ? { is_dm: true } : {}),
  };
}

/** An invite or a knock: the stripped state, once (a room sent with this membership already is unchanged). */
async function strippedRoom(r: RoomRequest): Promise<PendingRoom | undefined> {
  if (!r.initial) return undefined;
  const stripped = (await invitedRoom(r.m)).invite_state.events;
  return { result: { ...common(r), invite_state: stripped, stripped_state: stripped } };
}

/** A joined room, or a left one (its timeline ends at the leave). */
async function memberRoom(r: RoomRequest, names: ReadonlyMap<string, { name?: string; avatar?: string }>, viewer: RoomViewer): Promise<PendingRoom | undefined> {
  const { m } = r;
  const left = m.membership !== 'join';
  const lo = r.initial ? NOTHING : r.lo;
  if (!r.initial && m.lastSeq <= lo) return undefined;
  const membership = { membership: m.membership, position: m.position };
  const win = await readTimelineWindow({
    roomId: m.roomId,
    userId: viewer.userId,
    lo,
    hi: r.hi,
    limit: r.config.timelineLimit,
    ...(left ? { maxPosition: m.position } : {}),
    accept: () => true,
    membership,
  });
  if (!r.initial && !win.events.length && !win.limited) return undefined;
  const upTo = left ? Math.min(m.position, win.topPosition) : win.topPosition;
  const lazy = wantsLazyMembers(r.config) ? lazyMemberIds(win.events) : new Set<string>();
  let state = await requiredState(m.roomId, r.config, viewer.userId, lazy, upTo);
  if (!r.initial) {
    // Only what changed since the position; the timeline's members again when lazy-loading.
    const changed = new Set((await stateChangedSince(m.roomId, state, lo)).map((e) => e.event_id));
    state = state.filter((e) => changed.has(e.event_id) || (e.type === 'm.room.member' && lazy.has(e.state_key ?? '')));
  }
  const named = names.get(m.roomId) ?? {};
  const membersMoved = r.initial || win.events.some((e) => e.type === 'm.room.member');
  const first = win.events[0];
  const section: TimelineSection = { events: [], limited: win.limited };
  const reader = entryViewer(m.roomId, viewer.userId, membership);
  viewer.timelines.add({ roomId: m.roomId, events: win.events, visible: reader.visible, membershipAt: reader.membershipAt, section });
  const result: RoomResult = {
    ...common(r),
    ...named,
    ...(!named.name && membersMoved ? { heroes: await heroes(m.roomId, viewer.userId) } : {}),
    required_state: state.map((e) => clientEvent(e, viewer)),
    timeline: [],
    ...(first ? { prev_batch: positionToken(first.depth - 1) } : {}),
    limited: win.limited,
    num_live: r.lo === NOTHING ? 0 : win.seqs.filter((seq) => seq > r.lo).length,
    joined_count: m.joinedCount,
    invited_count: m.invitedCount,
  };
  return { result, section };
}

export function roomResult(r: RoomRequest, names: ReadonlyMap<string, { name?: string; avatar?: string }>, viewer: RoomViewer): Promise<PendingRoom | undefined> {
  if (r.m.membership === 'invite' || r.m.membership === 'knock') return strippedRoom(r);
  return memberRoom(r, names, viewer);
}
