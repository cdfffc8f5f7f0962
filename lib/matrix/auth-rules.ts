// The authorization rules of every room version Axon serves, for events created on this one server
// (no federation: no signatures, no third-party invites; restricted joins name a local authoriser).
// Each rule is numbered after the spec's list (v10's numbering) so it can be checked against it;
// where versions differ the rule reads the version's flags (room-versions.ts).
import { MatrixError, type MatrixErrcode } from './errors.ts';
import { domainOf, isValidUserId } from './ids.ts';
import {
  powerLevelsChangeProblem, powerLevelsOf, requiredLevel, roomCreator, userLevel,
} from './power-levels.ts';
import { joinRuleOf, membershipOf, type EventLike, type RoomState } from './room-state.ts';
import { isKnockJoinRule, isRestrictedJoinRule, isSupportedRoomVersion, roomVersionRules, type RoomVersion } from './room-versions.ts';

export type AuthResult = { allowed: true } | { allowed: false; reason: string; errcode: MatrixErrcode };

const allow: AuthResult = { allowed: true };
const refuse = (reason: string, errcode: MatrixErrcode = 'M_FORBIDDEN'): AuthResult => ({ allowed: false, reason, errcode });

/** Throws the refusal as a MatrixError (403 M_FORBIDDEN unless another errcode applies). */
export function assertAllowed(result: AuthResult): void {
  if (result.allowed) return;
  const status = result.errcode === 'M_FORBIDDEN' ? 403 : result.errcode === 'M_NOT_FOUND' ? 404 : 400;
  throw new MatrixError(status, result.errcode, result.reason);
}

/** The event being authorized: `state` is the room state before it (empty for m.room.create). */
export function authorizeEvent(event: EventLike, state: RoomState, version: RoomVersion): AuthResult {
  // 1. m.room.create (1.a: it must be the room's first event)
  if (event.type === 'm.room.create') {
    if (state.get('m.room.create', '') !== undefined) return refuse('the room already has an m.room.create event');
    return authorizeCreate(event, version);
  }

  // 3. There must be a create event.
  const create = state.get('m.room.create', '');
  if (!create) return refuse('the room has no m.room.create event', 'M_NOT_FOUND');

  // 4. (v1–v5) m.room.aliases: a server sets its own aliases, whatever its users' membership or power.
  if (event.type === 'm.room.aliases' && roomVersionRules(version).specialCaseAliasesAuth) {
    if (!event.state_key) return refuse('m.room.aliases needs a state key: the server name');
    return event.state_key === domainOf(event.sender) ? allow : refuse("m.room.aliases's state key must be the sender's server");
  }

  // 5. m.room.member
  if (event.type === 'm.room.member') return authorizeMembership(event, state, version);

  // 6. The sender must be in the room.
  if (membershipOf(state, event.sender) !== 'join') return refuse(`${event.sender} is not in the room`);

  const levels = powerLevelsOf(state, version);
  const senderLevel = userLevel(levels, event.sender);

  // 7. m.room.third_party_invite needs the invite level.
  if (event.type === 'm.room.third_party_invite') {
    return senderLevel >= levels.invite ? allow : refuse(`inviting needs power level ${levels.invite}`);
  }

  // 8. The sender needs the level the event type requires.
  const isState = event.state_key !== undefined;
  const needed = requiredLevel(levels, event.type, isState);
  if (senderLevel < needed) {
    return refuse(`sending ${event.type} needs power level ${needed}, ${event.sender} has ${senderLevel}`);
  }

  // 9. State keys that are user ids belong to that user.
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return refuse('you cannot set state under another user id');
  }

  // 10. m.room.power_levels
  if (event.type === 'm.room.power_levels') {
    // 10.a (v12, MSC4289) creators are above every level: listing one in `users` is malformed.
    const listedCreator = levels.creators.find((creator) => isObjectWith(event.content.users, creator));
    if (listedCreator) return refuse(`the room creator ${listedCreator} must not appear in users`, 'M_BAD_JSON');
    const previous = state.get('m.room.power_levels', '');
    const problem = powerLevelsChangeProblem(event.sender, senderLevel, previous?.content, event.content, roomVersionRules(version));
    if (problem) return refuse(problem);
  }
  // 11. (v3+) redactions are authorized like other events here; see authorizeRedaction.
  return allow;
}

function authorizeCreate(event: EventLike, version: RoomVersion): AuthResult {
  // 1.b the room id's domain must be the sender's domain (v12: the room id is the create event's hash)
  const rules = roomVersionRules(version);
  if (!rules.roomIdIsCreateEventHash && event.room_id !== undefined && domainOf(event.room_id) !== domainOf(event.sender)) {
    return refuse('room id and sender are on different servers');
  }
  // 1.c a room version we know
  const declared = event.content.room_version ?? '1';
  if (!isSupportedRoomVersion(declared) || declared !== version) {
    return refuse(`unsupported room version ${String(declared)}`, 'M_UNSUPPORTED_ROOM_VERSION');
  }
  // 1.d before v11, `creator` is required (v11 removed it: the sender is the creator).
  if (!rules.implicitRoomCreator && typeof event.content.creator !== 'string') return refuse('m.room.create needs a creator');
  // 1.e (v12) additional_creators, when present, is a list of user ids.
  if (rules.privilegedCreators && event.content.additional_creators !== undefined) {
    const problem = additionalCreatorsProblem(event.content.additional_creators);
    if (problem) return refuse(problem, 'M_BAD_JSON');
  }
  return allow;
}

/** Why an `additional_creators` value is malformed (MSC4289: an array of user ids), or undefined. */
export function additionalCreatorsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'additional_creators must be an array';
  for (const entry of value) {
    if (typeof entry !== 'string') return 'an entry in additional_creators is not a string';
    if (!isValidUserId(entry)) return `${entry} in additional_creators is not a valid user id`;
  }
  return undefined;
}

const isObjectWith = (value: unknown, key: string): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key);

function authorizeMembership(event: EventLike, state: RoomState, version: RoomVersion): AuthResult {
  // 5.a
  const target = event.state_key;
  const membership = event.content.membership;
  if (target === undefined || typeof membership !== 'string') return refuse('membership events need a state key and a membership');
  if (!isValidUserId(target)) return refuse(`${target} is not a user id`);

  const senderMembership = membershipOf(state, event.sender);
  const targetMembership = membershipOf(state, target);
  const levels = powerLevelsOf(state, version);
  const senderLevel = userLevel(levels, event.sender);
  const targetLevel = userLevel(levels, target);
  const rules = roomVersionRules(version);
  const joinRule = joinRuleOf(state);
  // Join rules the version does not know are no rule at all: nobody joins or knocks by them.
  const knockRule = isKnockJoinRule(version, joinRule);
  const restrictedRule = isRestrictedJoinRule(version, joinRule);

  switch (membership) {
    case 'join': {
      // 5.c.i the creator's first join, right after the create event
      const create = state.get('m.room.create', '');
      const creator = roomCreator(create, version);
      if (creator === target && !hasAnyMember(state, target) && !state.get('m.room.power_levels', '')) {
        return event.sender === target ? allow : refuse('only the creator can join first');
      }
      // 5.c.ii
      if (event.sender !== target) return refuse('you cannot join on behalf of someone else');
      // 5.c.iii
      if (senderMembership === 'ban') return refuse('you are banned from this room');
      // 5.c.iv invite/knock rooms
      if (joinRule === 'invite' || (knockRule && !restrictedRule)) {
        return senderMembership === 'join' || senderMembership === 'invite' ? allow : refuse('you are not invited to this room');
      }
      // 5.c.v restricted rooms (v8+, knock_restricted v10+): members and invitees, or a join a joined
      // user with invite power authorises (join_authorised_via_users_server; the one server signs it).
      if (restrictedRule) {
        if (senderMembership === 'join' || senderMembership === 'invite') return allow;
        const via = event.content.join_authorised_via_users_server;
        if (typeof via !== 'string') return refuse('you are not invited to this room and no member authorised your join');
        if (membershipOf(state, via) !== 'join') return refuse(`the authorising user ${via} is not in the room`);
        if (userLevel(levels, via) < levels.invite) return refuse(`the authorising user ${via} cannot invite`);
        return allow;
      }
      // 5.c.vi
      if (joinRule === 'public') return allow;
      // 5.c.vii
      return refuse('you are not invited to this room');
    }
    case 'invite': {
      // 5.d.i third-party invites are not supported on this server
      if (event.content.third_party_invite !== undefined) return refuse('third-party invites are not supported');
      // 5.d.ii
      if (senderMembership !== 'join') return refuse(`${event.sender} is not in the room`);
      // 5.d.iii
      if (targetMembership === 'join' || targetMembership === 'ban') {
        return refuse(`${target} is ${targetMembership === 'join' ? 'already in the room' : 'banned from the room'}`);
      }
      // 5.d.iv
      if (senderLevel >= levels.invite) return allow;
      return refuse(`inviting needs power level ${levels.invite}`);
    }
    case 'leave': {
      // 5.e.i leaving, or declining an invite / retracting a knock (v7+)
      if (event.sender === target) {
        return targetMembership === 'join' || targetMembership === 'invite' || (targetMembership === 'knock' && rules.knockJoinRule)
          ? allow
          : refuse('you are not in the room');
      }
      // 5.e.ii
      if (senderMembership !== 'join') return refuse(`${event.sender} is not in the room`);
      // 5.e.iii unban
      if (targetMembership === 'ban' && senderLevel < levels.ban) return refuse(`unbanning needs power level ${levels.ban}`);
      // 5.e.iv kick
      if (senderLevel >= levels.kick && targetLevel < senderLevel) return allow;
      return refuse(senderLevel < levels.kick ? `kicking needs power level ${levels.kick}` : `${target} has a power level at or above yours`);
    }
    case 'ban': {
      // 5.f
      if (senderMembership !== 'join') return refuse(`${event.sender} is not in the room`);
      if (senderLevel >= levels.ban && targetLevel < senderLevel) return allow;
      return refuse(senderLevel < levels.ban ? `banning needs power level ${levels.ban}` : `${target} has a power level at or above yours`);
    }
    case 'knock': {
      // 5.g (v7+; before, knock is an unknown membership)
      if (!rules.knockJoinRule) return refuse(`room version ${version} does not support knocking`);
      if (!knockRule) return refuse('this room does not allow knocking');
      if (event.sender !== target) return refuse('you cannot knock on behalf of someone else');
      if (targetMembership === 'ban' || targetMembership === 'invite' || targetMembership === 'join') {
        return refuse(`you cannot knock while your membership is ${targetMembership}`);
      }
      return allow;
    }
    default:
      // 5.h
      return refuse(`unknown membership ${membership}`, 'M_BAD_JSON');
  }
}

// The creator-first-join rule applies while the room has only its create event; a room
// state that already holds the creator's membership (or power levels) is past that point.
function hasAnyMember(state: RoomState, creator: string): boolean {
  return state.get('m.room.member', creator) !== undefined;
}

/**
 * Whether `sender` may redact `target` (room v3+: checked when the redaction is applied):
 * their own event, or any event with the redact level. Redacting needs the sender in the room,
 * which authorizeEvent checks for the redaction event itself. As Synapse, nobody redacts the
 * create event or a server ACL (their redacted forms would change what the room is).
 */
export function authorizeRedaction(
  sender: string,
  target: { sender: string; type?: string; room_id?: string } | undefined,
  state: RoomState,
  version: RoomVersion,
): AuthResult {
  if (!target) return refuse('event not found', 'M_NOT_FOUND');
  if (target.type === 'm.room.create') return refuse('Redacting create events is not permitted');
  if (target.type === 'm.room.server_acl') return refuse('Redacting server ACL events is not permitted');
  if (target.sender === sender) return allow;
  const levels = powerLevelsOf(state, version);
  return userLevel(levels, sender) >= levels.redact ? allow : refuse(`redacting others' events needs power level ${levels.redact}`);
}

