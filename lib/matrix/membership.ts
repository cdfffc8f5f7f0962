// The membership endpoints (join, knock, leave, invite, kick, ban, unban) as m.room.member events,
// with the endpoint-level preconditions Synapse applies on top of the auth rules.
import type { JsonObject } from './canonical-json.ts';
import { forbidden, MatrixError } from './errors.ts';
import type { PowerLevels } from './power-levels.ts';

export type MembershipAction = 'join' | 'knock' | 'leave' | 'invite' | 'kick' | 'ban' | 'unban';

/** The actions a user takes on their own membership (the target is the sender). */
export const isSelfAction = (action: MembershipAction): boolean => action === 'join' || action === 'knock' || action === 'leave';

export interface Profile {
  displayname?: string | null;
  avatar_url?: string | null;
}

export interface MembershipRequest {
  action: MembershipAction;
  sender: string;
  /** The user the action applies to; the sender for join, knock and leave. */
  target: string;
  reason?: string;
  /** Profile copied into the event: the sender's for join and knock, the invitee's for invite. */
  profile?: Profile;
  isDirect?: boolean;
  /** Restricted rooms: the joined user with invite power who authorises a join (room v8+). */
  authorisedVia?: string;
  /** PUT /state/m.room.member: the client's content, kept but for what the server decides. */
  content?: JsonObject;
}

export interface MembershipEvent {
  type: 'm.room.member';
  state_key: string;
  sender: string;
  content: JsonObject;
}

const membershipFor: Record<MembershipAction, string> = {
  join: 'join', knock: 'knock', leave: 'leave', invite: 'invite', kick: 'leave', ban: 'ban', unban: 'leave',
};

/** The membership event an endpoint call asks for (authorize it with authorizeEvent before writing). */
export function membershipEvent(request: MembershipRequest): MembershipEvent {
  const target = isSelfAction(request.action) ? request.sender : request.target;
  // The authorising user is the server's pick, never the client's (Synapse strips it too).
  const { join_authorised_via_users_server: _authoriser, ...given } = request.content ?? {};
  const content: JsonObject = { ...given, membership: membershipFor[request.action] };
  if (request.action === 'join' || request.action === 'knock' || request.action === 'invite') {
    if (request.profile?.displayname && !Object.hasOwn(content, 'displayname')) content.displayname = request.profile.displayname;
    if (request.profile?.avatar_url && !Object.hasOwn(content, 'avatar_url')) content.avatar_url = request.profile.avatar_url;
  }
  if (request.action === 'invite' && request.isDirect) content.is_direct = true;
  if (request.action === 'join' && request.authorisedVia) content.join_authorised_via_users_server = request.authorisedVia;
  if (request.reason !== undefined && request.reason !== '') content.reason = request.reason;
  return { type: 'm.room.member', state_key: target, sender: request.sender, content };
}

/**
 * Refusals that come before the auth rules (Synapse's): unbanning someone who is not banned,
 * kicking someone who is not in the room, leaving a room one is not in.
 */
export function checkMembershipPrecondition(action: MembershipAction, targetMembership: string | undefined, roomExists = true): void {
  if (!roomExists) throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown room');
  if (action === 'unban' && targetMembership !== 'ban') throw forbidden('The user is not banned');
  if (action === 'kick' && targetMembership !== 'join' && targetMembership !== 'invite' && targetMembership !== 'knock') {
    throw forbidden('The user is not in the room');
  }
}

/**
 * A join (or profile refresh) that changes nothing need not be written: the endpoint answers
 * with the room id as if it had, as Synapse does.
 */
export function isRedundantMembership(current: JsonObject | undefined, next: JsonObject): boolean {
  if (!current || current.membership !== next.membership || next.membership !== 'join') return false;
  return current.displayname === next.displayname && current.avatar_url === next.avatar_url;
}

/** The content of a member event after a profile change (PUT displayname / avatar_url). */
export function withProfile(current: JsonObject, profile: Profile): JsonObject {
  const next: JsonObject = { ...current };
  for (const key of ['displayname', 'avatar_url'] as const) {
    const value = profile[key];
    if (value === undefined) continue;
    if (value === null || value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The rooms a restricted join rule's `allow` names (entries of type m.room_membership). */
export function restrictedAllowRooms(joinRules: JsonObject | undefined): string[] {
  const allow = joinRules?.allow;
  if (!Array.isArray(allow)) return [];
  const rooms: string[] = [];
  for (const entry of allow) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    if (entry.type === 'm.room_membership' && typeof entry.room_id === 'string') rooms.push(entry.room_id);
  }
  return rooms;
}

/**
 * Who may authorise a restricted join, best first (as Synapse picks): users the power levels
 * name at or above the invite level, highest first. The caller keeps the first who is joined;
 * when users_default reaches the invite level any joined member will do.
 */
export function joinAuthoriserCandidates(levels: PowerLevels): string[] {
  // v12 creators (never in `users`) come first: their level is above everyone's.
  return [...levels.creators, ...Object.entries(levels.users)
    .filter(([, level]) => level >= levels.invite)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([user]) => user)];
}
