// The lists of a sliding sync request over the user's rooms (MSC4186 "Lists"): which rooms may be
// listed, their order (newest activity first), each list's filters, count and ranges. Pure: the
// caller reads the memberships and what the filters need.
import type { Membership } from '../sync/cut.ts';
import type { ListFilters, ListRequest } from './request.ts';

/** What the filters read about a room (only fetched when a list filters on it). */
export interface RoomFacts {
  isDm: boolean;
  isEncrypted?: boolean;
  /** The create event's `type` (null: none). */
  roomType?: string | null;
  /** The user's m.tag tags of the room (read only when a list filters on tags). */
  tags?: readonly string[];
}

export interface ListOutcome {
  count: number;
  /** The rooms in the list's ranges, in list order. */
  roomIds: string[];
}

/**
 * Rooms a list may hold: joined, invited and knocked rooms; a room the user left or was banned
 * from only while the connection has it with another membership (the client learns of the leave
 * once). Forgotten rooms never.
 */
export function listable(m: Membership, sentMembership: string | undefined): boolean {
  if (m.forgotten || !m.lane) return false;
  if (m.membership === 'join' || m.membership === 'invite' || m.membership === 'knock') return true;
  return (m.membership === 'leave' || m.membership === 'ban') && sentMembership !== undefined && sentMembership !== m.membership;
}

/** Newest activity first; equal stamps by room id, so the order is stable between requests. */
export function byActivity(a: Membership, b: Membership): number {
  return b.bumpStamp - a.bumpStamp || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0);
}

/** For the `spaces` filter: the rooms each space the user is joined to names as its children (other spaces: absent). */
export type SpaceChildren = ReadonlyMap<string, ReadonlySet<string>>;

function passes(filters: ListFilters, m: Membership, facts: RoomFacts | undefined, spaces: SpaceChildren): boolean {
  if (filters.isInvite !== undefined && (m.membership === 'invite') !== filters.isInvite) return false;
  if (filters.isDm !== undefined && (facts?.isDm ?? false) !== filters.isDm) return false;
  if (filters.isEncrypted !== undefined && (facts?.isEncrypted ?? false) !== filters.isEncrypted) return false;
  const type = facts?.roomType ?? null;
  if (filters.notRoomTypes?.includes(type)) return false;
  if (filters.roomTypes && !filters.roomTypes.includes(type)) return false;
  const tags = facts?.tags ?? [];
  if (filters.tags && !tags.some((t) => filters.tags!.includes(t))) return false;
  if (filters.notTags && tags.some((t) => filters.notTags!.includes(t))) return false;
  // Any of the spaces (OR'd); unknown spaces and spaces the user is not joined to name no room.
  if (filters.spaces && !filters.spaces.some((space) => spaces.get(space)?.has(m.roomId))) return false;
  return true;
}

/** The spaces the lists filter on. */
export function filteredSpaces(lists: Iterable<ListRequest>): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const space of list.filters.spaces ?? []) out.add(space);
  return [...out];
}

/** Whether any list filters on what `facts` must say (encryption, room type). */
export function needsStateFacts(lists: Iterable<ListRequest>): boolean {
  for (const list of lists) {
    const f = list.filters;
    if (f.isEncrypted !== undefined || f.roomTypes || f.notRoomTypes) return true;
  }
  return false;
}

/** Whether any list filters on the user's room tags. */
export function needsTags(lists: Iterable<ListRequest>): boolean {
  for (const list of lists) if (list.filters.tags || list.filters.notTags) return true;
  return false;
}

/**
 * One list over the ordered, listable rooms: all of them, or (`total` given) the newest of them,
 * as many as the ranges reach, out of `total`.
 */
export function evaluateList(list: ListRequest, ordered: readonly Membership[], facts: ReadonlyMap<string, RoomFacts>, total?: number, spaces: SpaceChildren = new Map()): ListOutcome {
  const matching = ordered.filter((m) => passes(list.filters, m, facts.get(m.roomId), spaces));
  const count = total ?? matching.length;
  if (!list.ranges) return { count, roomIds: matching.map((m) => m.roomId) };
  const picked = new Set<string>();
  for (const [start, end] of list.ranges) {
    for (const m of matching.slice(start, end + 1)) picked.add(m.roomId);
  }
  return { count, roomIds: matching.filter((m) => picked.has(m.roomId)).map((m) => m.roomId) };
}
