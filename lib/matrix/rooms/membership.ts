// Membership commands in the rooms topology: join / knock / leave / invite / kick / ban / unban as
// m.room.member events, forgetting a room, and re-sending a join event after a profile change.
import { forbidden, MatrixError } from '../errors.ts';
import { checkMembershipPrecondition, isRedundantMembership, isSelfAction, membershipEvent, withProfile } from '../membership.ts';
import { memberRooms } from '../pstates.ts';
import { isRepeatedStateEvent, joinRuleOf, membershipOf } from '../room-state.ts';
import type { ForgetCommand, MembershipCommand, ProfileCommand, RoomCommandResult } from './commands.ts';
import { loadRoom, RoomWriter, type CommandOrigin } from './room-writes.ts';
import type { RoomPlan } from './plan.ts';
import { restrictedJoinAuthoriser } from './restricted-join.ts';
import { isRoomBlocked, roomBlocked } from '../room-blocks.ts';
import { isRestrictedJoinRule } from '../room-versions.ts';

export async function planMembership(command: MembershipCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, action } = command;
  const target = isSelfAction(action) ? sender : command.target;
  // As Synapse: in a blocked room only leaving and banning remain (a kick or unban is a leave).
  if ((action === 'join' || action === 'invite' || action === 'knock') && (await isRoomBlocked(roomId))) throw roomBlocked();
  const room = await loadRoom(roomId, sender, [['m.room.member', target]]);
  const current = room.state.get('m.room.member', target);
  // PUT /state's leave of another user is a kick or an unban: the auth rules alone decide (Synapse).
  if (!command.content) checkMembershipPrecondition(action, membershipOf(room.state, target));
  if (action === 'leave' && !['join', 'invite', 'knock'].includes(String(current?.content.membership))) {
    throw forbidden('You are not in the room');
  }
  // A restricted room's join by someone neither joined nor invited names who authorised it.
  const mine = membershipOf(room.state, sender);
  const authorisedVia = action === 'join' && isRestrictedJoinRule(room.head.version, joinRuleOf(room.state)) && mine !== 'join' && mine !== 'invite' && mine !== 'ban'
    ? await restrictedJoinAuthoriser(roomId, sender, room.state, room.head.version)
    : undefined;
  const event = membershipEvent({
    action,
    sender,
    target,
    ...(command.reason !== undefined ? { reason: command.reason } : {}),
    ...(command.profile ? { profile: command.profile } : {}),
    ...(authorisedVia ? { authorisedVia } : {}),
    ...(command.content ?? command.bodyContent ? { content: command.content ?? command.bodyContent } : {}),
  });
  const repeated = command.content ?? command.bodyContent ? isRepeatedStateEvent(current, sender, event.content) : isRedundantMembership(current?.content, event.content);
  if (repeated) return { ops: [], value: { roomId, ...(current ? { eventId: current.event_id } : {}) } };
  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const written = writer.append(event);
  return { ops: writer.writes(), value: { roomId, eventId: written.event_id }, events: writer.events };
}

export async function planProfile(command: ProfileCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, userId } = command;
  const room = await loadRoom(roomId, userId);
  const current = room.state.get('m.room.member', userId);
  if (current?.content.membership !== 'join') return { ops: [], value: { roomId } };
  const profile = {
    ...(command.displayname !== undefined ? { displayname: command.displayname } : {}),
    ...(command.avatar_url !== undefined ? { avatar_url: command.avatar_url } : {}),
  };
  const content = withProfile(current.content, profile);
  if (isRedundantMembership(current.content, content)) return { ops: [], value: { roomId } };
  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const written = writer.append({ type: 'm.room.member', state_key: userId, sender: userId, content });
  return { ops: writer.writes(), value: { roomId, eventId: written.event_id }, events: writer.events };
}

/** Forget: only a room one has left (or was banned from); the membership stays, hidden from lists. */
export async function planForget(command: ForgetCommand): Promise<RoomPlan> {
  const { roomId, userId } = command;
  const value: RoomCommandResult = { roomId };
  const entry = memberRooms.key(userId).key(roomId);
  const current = await entry.get({ consistent: true });
  if (!current) return { ops: [], value };
  // A pending knock is a request still open: it is rescinded (left) first, as Synapse asks.
  if (current.membership === 'join' || current.membership === 'invite' || current.membership === 'knock') {
    throw new MatrixError(400, 'M_UNKNOWN', 'You must leave the room before forgetting it');
  }
  if (current.forgotten) return { ops: [], value };
  return { ops: [entry.field('forgotten').set(true)], value };
}
