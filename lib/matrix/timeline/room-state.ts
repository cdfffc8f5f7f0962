// State reads: all state, one state event, members, joined members, joined rooms. Members and
// readers see the current state; a user who left sees the state as it was when they left.
import { readYourWrites } from './consistency.ts';
import { forbidden, invalidParam, notFound } from '../errors.ts';
import type { RoomEvent } from '../events.ts';
import { memberRooms, roomMembers } from '../pstates.ts';
import { statePosition, type RoomView } from './access.ts';
import { isRoomToken, roomTokenPosition } from './sync-token-positions.ts';
import { currentMemberEvents, currentState, currentStateEvents, rewindState } from './state.ts';

/** The room's state events as the viewer may see them. */
export async function visibleState(view: RoomView): Promise<RoomEvent[]> {
  const events = await currentState(view.roomId);
  return view.departedAt === undefined ? events : rewindState(view.roomId, events, view.departedAt);
}

/** One state event as the viewer may see it, or 404 M_NOT_FOUND. */
export async function visibleStateEvent(view: RoomView, type: string, stateKey: string): Promise<RoomEvent> {
  let events = await currentStateEvents(view.roomId, [{ type, stateKey }]);
  if (view.departedAt !== undefined) events = await rewindState(view.roomId, events, view.departedAt);
  const event = events[0];
  if (!event) throw notFound(`No ${type} state with key "${stateKey}" in this room`);
  return event;
}

const MEMBERSHIPS = ['join', 'invite', 'knock', 'leave', 'ban'];

export interface MembersQuery {
  /** The `at` token, when it is a pagination or /sync token. */
  at?: string;
  membership?: string;
  notMembership?: string;
}

/**
 * `at` takes the room's pagination tokens (/messages, /sync prev_batch) and /sync tokens (a
 * next_batch, as matrix-js-sdk passes: the room as of that sync, sync-token-positions.ts). Other
 * tokens mean the current state.
 */
export function parseMembersQuery(query: URLSearchParams): MembersQuery {
  const out: MembersQuery = {};
  const at = query.get('at');
  if (at !== null && isRoomToken(at)) out.at = at;
  for (const [param, key] of [['membership', 'membership'], ['not_membership', 'notMembership']] as const) {
    const value = query.get(param);
    if (value === null) continue;
    if (!MEMBERSHIPS.includes(value)) throw invalidParam(`${param} must be one of ${MEMBERSHIPS.join(', ')}`);
    out[key] = value;
  }
  return out;
}

/** Spec: with both filters, a member is listed when either one matches. */
export function membershipMatches(membership: string, query: MembersQuery): boolean {
  const is = query.membership === undefined ? undefined : membership === query.membership;
  const isNot = query.notMembership === undefined ? undefined : membership !== query.notMembership;
  if (is === undefined && isNot === undefined) return true;
  return is === true || isNot === true;
}

export async function roomMemberEvents(view: RoomView, query: MembersQuery): Promise<RoomEvent[]> {
  const at = query.at === undefined ? undefined : await roomTokenPosition(view.roomId, query.at, 'at', view.lastPosition);
  const position = Math.min(at ?? statePosition(view), statePosition(view));
  let events = await currentMemberEvents(view.roomId);
  if (position < view.lastPosition) events = await rewindState(view.roomId, events, position);
  return events.filter((e) => membershipMatches(String(e.content.membership), query));
}

export interface JoinedMember {
  display_name?: string;
  avatar_url?: string;
}

/** Joined members with their profiles; only for users in the room (or a world_readable one). */
export async function joinedMembers(view: RoomView): Promise<Record<string, JoinedMember>> {
  if (view.departedAt !== undefined) throw forbidden('You are not in this room');
  const joined: Record<string, JoinedMember> = {};
  for (const [userId, member] of await roomMembers.key(view.roomId).entries({ limit: 500, ...readYourWrites })) {
    if (member.membership !== 'join') continue;
    joined[userId] = {
      ...(member.displayname ? { display_name: member.displayname } : {}),
      ...(member.avatarUrl ? { avatar_url: member.avatarUrl } : {}),
    };
  }
  return joined;
}

/** The rooms the user is joined to now. */
export async function joinedRooms(userId: string): Promise<string[]> {
  const rooms = await memberRooms.key(userId).entries({ limit: 500, ...readYourWrites });
  return rooms.filter(([, room]) => room.membership === 'join').map(([roomId]) => roomId);
}
