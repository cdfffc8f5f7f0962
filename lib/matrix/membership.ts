// The membership endpoints (join, leave, invite, kick, ban, unban) as m.room.member events,
// with the endpoint-level preconditions Synapse applies on top of the auth rules.
import type { JsonObject } from './canonical-json.ts';
import { forbidden, MatrixError } from './errors.ts';

export type MembershipAction = 'join' | 'leave' | 'invite' | 'kick' | 'ban' | 'unban';

export interface Profile {
  displayname?: string | null;
  avatar_url?: string | null;
}

export interface MembershipRequest {
  action: MembershipAction;
  sender: string;
  /** The user the action applies to; the sender for join and leave. */
  target: string;
  reason?: string;
  /** Profile copied into the event: the sender's for join, the invitee's for invite. */
  profile?: Profile;
  isDirect?: boolean;
}

export interface MembershipEvent {
  type: 'm.room.member';
  state_key: string;
  sender: string;
  content: JsonObject;
}

const membershipFor: Record<MembershipAction, string> = {
  join: 'join', leave: 'leave', invite: 'invite', kick: 'leave', ban: 'ban', unban: 'leave',
};

/** The membership event an endpoint call asks for (authorize it with authorizeEvent before writing). */
export function membershipEvent(request: MembershipRequest): MembershipEvent {
  const target = request.action === 'join' || request.action === 'leave' ? request.sender : request.target;
  const content: JsonObject = { membership: membershipFor[request.action] };
  if (request.action === 'join' || request.action === 'invite') {
    if (request.profile?.displayname) content.displayname = request.profile.displayname;
    if (request.profile?.avatar_url) content.avatar_url = request.profile.avatar_url;
  }
  if (request.action === 'invite' && request.isDirect) content.is_direct = true;
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
