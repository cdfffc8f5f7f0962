// The per-room sections of a sync response: joined rooms (timeline window, state, summary),
// invites (stripped state) and leaves (the timeline up to the leave), each computed for one
// membership of the cut and the token's window (lo, hi] of the room's shard.
import type { JsonObject } from '../canonical-json.ts';
import { INVITE_STATE_TYPES, toClientEvent, toStrippedState, type ClientEvent, type RoomEvent, type StrippedStateEvent } from '../events.ts';
import { lazyLoadedMemberIds, lazyLoadMembers, selectEventFields, timelineLimit, type FilterDefinition } from '../filters.ts';
import { roomMembers, roomTimeline } from '../pstates.ts';
import { roomSummary, type RoomSummary } from '../room-summary.ts';
import { positionToken } from '../tokens.ts';
import type { AccountDataEvent } from './account-data.ts';
import type { Membership } from './cut.ts';
import { roomEventPredicate } from './filter.ts';
import { stateChangedSince } from './state-delta.ts';
import { readMembersBefore, readStateBefore, readStateEvents } from './state.ts';
import { entryViewer, readTimelineWindow, type TimelineWindow } from './timeline.ts';
import type { SyncTimelines, TimelineSection } from './bundled-timelines.ts';

export interface Viewer {
  userId: string;
  deviceId: string;
  now: number;
  filter: FilterDefinition;
  /** The response's timelines, formatted together once assembled (bundled aggregations). */
  timelines: SyncTimelines;
  /** The users the viewer ignores (`m.ignored_user_list`): their messages stay out of timelines. */
  ignored?: () => Promise<Set<string>>;
}

export type { TimelineSection };

export interface JoinedRoomSection {
  timeline: TimelineSection;
  state: { events: Partial<ClientEvent>[] };
  account_data: { events: AccountDataEvent[] };
  ephemeral: { events: JsonObject[] };
  summary: RoomSummary;
  unread_notifications: { highlight_count: number; notification_count: number };
}

export interface LeftRoomSection {
  timeline: TimelineSection;
  state: { events: Partial<ClientEvent>[] };
  account_data: { events: AccountDataEvent[] };
}

export interface InvitedRoomSection {
  invite_state: { events: StrippedStateEvent[] };
}

function clientEvents(events: readonly RoomEvent[], viewer: Viewer): Partial<ClientEvent>[] {
  return events.map((event) =>
    selectEventFields(
      toClientEvent(event, { now: viewer.now, requester: { user_id: viewer.userId, device_id: viewer.deviceId }, omitRoomId: true }),
      viewer.filter.event_fields,
    ),
  );
}

/** The section of a window; its events are formatted with the whole response's (viewer.timelines). */
function timelineSection(m: Membership, window: TimelineWindow, viewer: Viewer, upTo = Number.MAX_SAFE_INTEGER): TimelineSection {
  const first = window.events[0];
  const section: TimelineSection = {
    events: [],
    limited: window.limited,
    ...(first ? { prev_batch: positionToken(first.depth - 1) } : {}),
  };
  const reader = entryViewer(m.roomId, viewer.userId, { membership: m.membership, position: m.position });
  viewer.timelines.add({
    roomId: m.roomId,
    events: window.events,
    visible: async (entry) => entry.event.depth <= upTo && (await reader.visible(entry)),
    membershipAt: reader.membershipAt,
    section,
  });
  return section;
}

async function window(m: Membership, lo: string, hi: string, viewer: Viewer, maxPosition?: number): Promise<TimelineWindow> {
  const accept = roomEventPredicate(viewer.filter, 'timeline');
  const ignored = viewer.ignored ? await viewer.ignored() : undefined;
  return readTimelineWindow({
    roomId: m.roomId,
    userId: viewer.userId,
    lo,
    hi,
    limit: timelineLimit(viewer.filter),
    ...(maxPosition !== undefined ? { maxPosition } : {}),
    // Events (not state) of ignored users are left out, as Synapse's filter_events_for_client does.
    accept: ignored?.size ? (e) => accept(e) && !(e.state_key === undefined && ignored.has(e.sender)) : accept,
    membership: { membership: m.membership, position: m.position },
  });
}

/**
 * The state section. Full (initial sync, new join, full_state): the state before the window.
 * Limited incremental: the delta, i.e. what changed between the token and the window
 * (state-delta.ts); with lazy-loaded members, the members of the window's senders besides.
 * Otherwise nothing, or with lazy loading the members the window needs.
 */
async function stateSection(m: Membership, win: TimelineWindow, mode: { full: boolean; lo: string }, viewer: Viewer): Promise<RoomEvent[]> {
  const lazy = lazyLoadMembers(viewer.filter.room?.state);
  const members = lazy ? lazyLoadedMemberIds(win.events, viewer.userId) : undefined;
  const accept = roomEventPredicate(viewer.filter, 'state');
  let events: RoomEvent[];
  if (mode.full) {
    events = await readStateBefore(m.roomId, win.startPosition, members);
  } else if (win.limited) {
    const before = await readStateBefore(m.roomId, win.startPosition, members);
    const changed = await stateChangedSince(m.roomId, before, mode.lo);
    if (members) {
      // The window's senders need their member events whether or not they changed in the gap.
      const senders = new Set(win.events.map((e) => e.sender));
      const ids = new Set(changed.map((e) => e.event_id));
      changed.push(...before.filter((e) => e.type === 'm.room.member' && senders.has(e.state_key ?? '') && !ids.has(e.event_id)));
    }
    events = changed;
  } else {
    events = members ? await readMembersBefore(m.roomId, win.startPosition, members) : [];
  }
  return events.filter(accept).sort((a, b) => a.depth - b.depth);
}

async function heroesSummary(m: Membership, state: readonly RoomEvent[], userId: string): Promise<RoomSummary> {
  const counts: RoomSummary = { 'm.joined_member_count': m.joinedCount, 'm.invited_member_count': m.invitedCount };
  const named = state.some((e) => (e.type === 'm.room.name' && e.content.name) || (e.type === 'm.room.canonical_alias' && e.content.alias));
  if (named) return counts;
  const page = await roomMembers.key(m.roomId).range({ limit: 20 });
  const heroes = roomSummary(
    page.entries.map(([id, entry]) => ({ userId: id, membership: entry.membership ?? 'leave', position: entry.position ?? 0 })),
    userId,
    false,
  )['m.heroes'];
  return { ...counts, ...(heroes ? { 'm.heroes': heroes } : {}) };
}

/**
 * A joined room's section, or undefined when nothing in it changed in (lo, hi] and no account
 * data is to be delivered. `fresh`: first time in this chain of tokens (initial sync or a new
 * join), so the whole state and the latest events are sent.
 */
export async function joinedRoom(
  m: Membership,
  window_: { lo: string; hi: string },
  options: { fresh: boolean; fullState: boolean; accountData: AccountDataEvent[] },
  viewer: Viewer,
): Promise<JoinedRoomSection | undefined> {
  const { fresh, fullState } = options;
  const lo = fresh ? '' : window_.lo;
  const changed = fresh || fullState || m.lastSeq > lo;
  const win = changed ? await window(m, lo, window_.hi, viewer) : undefined;
  if (!fresh && !fullState && !win?.events.length && !win?.limited && !options.accountData.length) return undefined;
  const timelineWin = win ?? { events: [], seqs: [], limited: false, topPosition: 0, startPosition: 0 };
  const state = win ? await stateSection(m, win, { full: fresh || fullState, lo }, viewer) : [];
  const summary = fresh || fullState
    ? await heroesSummary(m, [...state, ...timelineWin.events], viewer.userId)
    : { 'm.joined_member_count': m.joinedCount, 'm.invited_member_count': m.invitedCount };
  return {
    timeline: timelineSection(m, timelineWin, viewer),
    state: { events: clientEvents(state, viewer) },
    account_data: { events: options.accountData },
    ephemeral: { events: [] },
    summary,
    // Notification counts are not computed yet (push rules are evaluated elsewhere): zero.
    unread_notifications: { highlight_count: 0, notification_count: 0 },
  };
}

/**
 * A left (left, kicked, banned) room: its timeline in (lo, the leave] and its state as a joined
 * room's would be: the whole state before the window on an initial or full_state sync, otherwise
 * what changed since the token (Synapse; Complement's TestLeaveEventVisibility).
 */
export async function leftRoom(
  m: Membership,
  window_: { lo: string; hi: string },
  options: { fresh: boolean; fullState: boolean; accountData: AccountDataEvent[] },
  viewer: Viewer,
): Promise<LeftRoomSection> {
  const lo = options.fresh ? '' : window_.lo;
  const win = await window(m, lo, window_.hi, viewer, m.position);
  const state = await stateSection(m, win, { full: options.fresh || options.fullState, lo }, viewer);
  return {
    timeline: timelineSection(m, win, viewer, m.position),
    state: { events: clientEvents(state, viewer) },
    account_data: { events: options.accountData },
  };
}

/** An invite: the invite event and the room's invite_state events, stripped. */
export async function invitedRoom(m: Membership): Promise<InvitedRoomSection> {
  const [stateEvents, invite] = await Promise.all([
    readStateEvents(m.roomId, INVITE_STATE_TYPES.map((type) => [type, ''] as [string, string])),
    m.position > 0 ? roomTimeline.key(m.roomId).key(m.position - 1).get({ consistent: true }) : Promise.resolve(undefined),
  ]);
  const events = stateEvents.filter((e): e is RoomEvent => e !== undefined).map(toStrippedState);
  if (invite?.event) events.push(toStrippedState(invite.event as RoomEvent));
  return { invite_state: { events } };
}
