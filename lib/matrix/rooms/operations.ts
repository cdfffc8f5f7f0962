// The rooms write operations as the HTTP layer calls them, for an authenticated requester: validate, do the cheap
// checks (alias taken, transaction id seen, event size), then submit one command to the rooms
// depot (partition key = room id) and answer with its outcome.
import { getMany } from '../../core/pstate/index.ts';
import { limitWrites } from '../rate-limits.ts';
import type { Requester } from '../accounts/authenticate.ts';
import { canonicalJson, type JsonObject } from '../canonical-json.ts';
import { checkClientEvent } from '../client-event-rules.ts';
import { submit } from '../commands.ts';
import { planCreateRoom, type CreateRoomPlan } from '../create-room.ts';
import { badJson, forbidden, invalidParam, MatrixError, notFound, roomInUse, tooLarge } from '../errors.ts';
import { MAX_EVENT_BYTES } from '../events.ts';
import { checkIdentifierLength, MAX_IDENTIFIER_BYTES } from '../path-parameters.ts';
import { generateRoomId, isValidEventId, isValidRoomId, isValidUserId, parseRoomAlias, randomOpaqueId, serverName } from '../ids.ts';
import type { MembershipAction, Profile } from '../membership.ts';
import { roomAliases, transactionIds, users } from '../pstates.ts';
import { joinRequest, jsonObject, membershipRequest, parseRequestBody, redactRequest, targetMembershipRequest } from '../request-schemas.ts';
import type { CreateRoomCommand, MembershipCommand, RoomCommand, RoomCommandResult } from './commands.ts';
import { redactTransactionKey, sendTransactionKey } from './send.ts';

export const submitRoomCommand = (command: RoomCommand) => submit<RoomCommandResult>('rooms', command.roomId, command);

export async function profileOf(userId: string): Promise<Profile | undefined> {
  const user = await users.key(userId).fields(['displayname', 'avatarUrl']);
  if (!user) return undefined;
  return { ...(user.displayname ? { displayname: user.displayname } : {}), ...(user.avatarUrl ? { avatar_url: user.avatarUrl } : {}) };
}

/**
 * A shadow-banned user's message, state event, redaction or invite (Synapse's shadow ban): answered
 * as if done, with a fresh event id of the usual form, and nothing appended, stored or delivered.
 */
const shadowBannedEvent = (): { event_id: string } => ({ event_id: `$${randomOpaqueId(32)}` });

export function requireRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw notFound('Unknown room');
  return roomId;
}

/**
 * The rooms-depot command that creates a planned room (createRoom, an admin's or the server's own
 * rooms), its events checked against the 64 KB limit first (413 M_TOO_LARGE, nothing submitted).
 */
export function createRoomCommand(plan: CreateRoomPlan, creator: string): CreateRoomCommand {
  for (const event of plan.events) checkContentSize(event.content);
  return {
    kind: 'createRoom',
    roomId: plan.roomId,
    creator,
    roomVersion: plan.roomVersion,
    ...(plan.alias ? { alias: plan.alias } : {}),
    visibility: plan.visibility,
    events: plan.events,
  };
}

/** POST /createRoom → the new room's id. */
export async function createRoom(requester: Requester, body: unknown): Promise<{ room_id: string }> {
  await limitWrites(requester);
  const profile = await profileOf(requester.userId);
  body = body ?? {};
  // A shadow-banned creator's room is made, without its invites (Synapse's).
  const asked = requester.shadowBanned && typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, invite: [], invite_3pid: [] } : body;
  const plan = planCreateRoom(asked, { roomId: generateRoomId(), now: Date.now(), creator: requester.userId, ...(profile ? { profile } : {}) });
  const { roomId } = plan;
  if (plan.alias && (await roomAliases.key(plan.alias).get())) throw roomInUse();
  // Invitees must exist (as for POST /invite): the room is not created otherwise.
  if (plan.invitees.length) {
    const found = await getMany(plan.invitees.map((u) => users.key(u).field('createdTs')));
    const unknown = plan.invitees.find((_, i) => found[i] === undefined);
    if (unknown) throw notFound(`Unknown user ${unknown}`);
  }
  await submitRoomCommand(createRoomCommand(plan, requester.userId));
  return { room_id: roomId };
}

/** The room a POST /join/{roomIdOrAlias} names: a room id, or an alias of this server's directory. */
async function resolveRoom(roomIdOrAlias: string): Promise<string> {
  if (roomIdOrAlias.startsWith('#')) {
    if (!parseRoomAlias(roomIdOrAlias)) throw invalidParam('Invalid room alias');
    const entry = await roomAliases.key(roomIdOrAlias).get();
    if (!entry?.roomId) throw notFound('Unknown room alias');
    return entry.roomId;
  }
  if (!roomIdOrAlias.startsWith('!')) throw invalidParam('Not a room id or alias');
  return requireRoomId(roomIdOrAlias);
}

/**
 * POST /join/{roomIdOrAlias}: its body becomes the join event's content, as Synapse keeps it
 * (Complement's "POST /join/:room_id can join a room with custom content").
 */
export function joinRoom(requester: Requester, body: unknown, roomIdOrAlias: string): Promise<{ room_id: string }> {
  return enterRoom(requester, body, roomIdOrAlias, 'join', { keepBody: true });
}

/** POST /rooms/{roomId}/join: only the reason is kept (Synapse's membership endpoints). */
export function joinRoomById(requester: Requester, body: unknown, roomId: string): Promise<{ room_id: string }> {
  return enterRoom(requester, body, roomId, 'join');
}

/** POST /knock/{roomIdOrAlias}: ask to join a room whose join rule is knock or knock_restricted. */
export function knockRoom(requester: Requester, body: unknown, roomIdOrAlias: string): Promise<{ room_id: string }> {
  return enterRoom(requester, body, roomIdOrAlias, 'knock');
}

/** Join or knock: the sender's own membership, with their profile. (`via`/`server_name` name other servers: one server here.) */
async function enterRoom(
  requester: Requester,
  body: unknown,
  roomIdOrAlias: string,
  action: 'join' | 'knock',
  { keepBody = false } = {},
): Promise<{ room_id: string }> {
  await limitWrites(requester);
  const fields = parseRequestBody(keepBody ? joinRequest : membershipRequest, body ?? {}) as JsonObject;
  const bodyContent = keepBody && Object.keys(fields).length > 0 ? fields : undefined;
  if (bodyContent) checkContentSize(bodyContent);
  const reason = typeof fields.reason === 'string' ? fields.reason : undefined;
  const roomId = await resolveRoom(roomIdOrAlias);
  const profile = await profileOf(requester.userId);
  await submitRoomCommand({
    kind: 'membership',
    roomId,
    action,
    sender: requester.userId,
    target: requester.userId,
    ...(bodyContent ? { bodyContent } : reason !== undefined ? { reason } : {}),
    ...(profile ? { profile } : {}),
  });
  return { room_id: roomId };
}

/** POST /rooms/{roomId}/leave. */
export async function leaveRoom(requester: Requester, body: unknown, roomId: string): Promise<Record<string, never>> {
  await limitWrites(requester);
  const { reason } = parseRequestBody(membershipRequest, body ?? {});
  await submitRoomCommand({
    kind: 'membership',
    roomId: requireRoomId(roomId),
    action: 'leave',
    sender: requester.userId,
    target: requester.userId,
    ...(reason !== undefined ? { reason } : {}),
  });
  return {};
}

/** POST /rooms/{roomId}/forget. */
export async function forgetRoom(requester: Requester, roomId: string): Promise<Record<string, never>> {
  await submitRoomCommand({ kind: 'forget', roomId: requireRoomId(roomId), userId: requester.userId });
  return {};
}

/** POST /rooms/{roomId}/invite | kick | ban | unban: an action on another user. */
export async function actOnMember(
  requester: Requester,
  body: unknown,
  roomId: string,
  action: Exclude<MembershipAction, 'join' | 'knock' | 'leave'>,
): Promise<Record<string, never>> {
  await limitWrites(requester);
  const { user_id: target, reason } = parseRequestBody(targetMembershipRequest, body);
  if (!isValidUserId(target)) throw invalidParam(`Invalid user id: ${target}`);
  let profile: Profile | undefined;
  if (action === 'invite') {
    profile = await profileOf(target);
    if (!profile && !(await users.key(target).get())) throw notFound(`Unknown user ${target}`);
    if (requester.shadowBanned) return {};
  }
  await submitRoomCommand({
    kind: 'membership',
    roomId: requireRoomId(roomId),
    action,
    sender: requester.userId,
    target,
    ...(reason !== undefined ? { reason } : {}),
    ...(profile ? { profile } : {}),
  });
  return {};
}

const MEMBERSHIPS = ['join', 'knock', 'invite', 'leave', 'ban'];

/**
 * PUT /state/m.room.member/{userId} as Synapse takes it: the membership the content names, done
 * as its endpoint does it (the invitee must exist, the target's profile fills what the content
 * leaves out, the server picks a restricted join's authoriser), the rest of the content kept.
 */
async function memberStateCommand(sender: string, roomId: string, target: string, content: JsonObject): Promise<MembershipCommand> {
  if (!isValidUserId(target)) throw invalidParam(`Invalid user id: ${target}`);
  const membership = content.membership;
  if (typeof membership !== 'string' || !MEMBERSHIPS.includes(membership)) throw badJson('Invalid membership');
  if ((membership === 'join' || membership === 'knock') && target !== sender) throw forbidden(`You cannot ${membership} on behalf of someone else`);
  const action = (membership === 'leave' && target !== sender ? 'kick' : membership) as MembershipAction;
  const profile = action === 'join' || action === 'knock' || action === 'invite' ? await profileOf(target) : undefined;
  if (action === 'invite' && !profile) throw notFound(`Unknown user ${target}`);
  return { kind: 'membership', roomId, action, sender, target, content, ...(profile ? { profile } : {}) };
}

/** The spec's 64 KB event limit, checked on the content before anything is submitted. */
export function checkContentSize(content: unknown): void {
  if (Buffer.byteLength(canonicalJson(content as JsonObject), 'utf8') > MAX_EVENT_BYTES) throw tooLarge('Event is larger than 65536 bytes');
}

/** Transaction ids become table keys: bounded like the other ids events carry. */
function checkTxnId(txnId: string): void {
  if (txnId === '') throw invalidParam(`txnId must be 1 to ${MAX_IDENTIFIER_BYTES} bytes`);
  checkIdentifierLength('txnId', txnId);
}

function parseContent(body: unknown): JsonObject {
  const content = parseRequestBody(jsonObject, body) as JsonObject;
  checkContentSize(content);
  return content;
}

/** PUT /rooms/{roomId}/send/{eventType}/{txnId} → the event id (the first one for a repeated txnId). */
export async function sendMessage(
  requester: Requester,
  body: unknown,
  roomId: string,
  type: string,
  txnId: string,
): Promise<{ event_id: string }> {
  const content = parseContent(body);
  checkIdentifierLength('eventType', type);
  checkTxnId(txnId);
  // The rate limit and the retry check go out together: one round trip before the append.
  const [, seen] = await Promise.all([
    limitWrites(requester),
    transactionIds.key(sendTransactionKey(requester.userId, requester.deviceId, roomId, txnId)).get(),
  ]);
  if (seen?.eventId) return { event_id: seen.eventId };
  // Types with their own endpoint or rules (a redaction is authorised as /redact's, in the topology).
  checkClientEvent({ roomId, type, content }, serverName());
  if (requester.shadowBanned) return shadowBannedEvent();
  return sent(await submitRoomCommand({ kind: 'send', roomId: requireRoomId(roomId), sender: requester.userId, deviceId: requester.deviceId, type, content, txnId }));
}

/** PUT /rooms/{roomId}/state/{eventType}/{stateKey} → the event id. */
export async function setRoomState(
  requester: Requester,
  body: unknown,
  roomId: string,
  type: string,
  stateKey: string,
): Promise<{ event_id: string }> {
  await limitWrites(requester);
  const content = parseContent(body);
  checkIdentifierLength('eventType', type);
  checkIdentifierLength('stateKey', stateKey);
  // A member event is a membership change: the membership endpoints' rules, not only the auth rules.
  if (type === 'm.room.member') return sent(await submitRoomCommand(await memberStateCommand(requester.userId, requireRoomId(roomId), stateKey, content)));
  checkClientEvent({ roomId, type, stateKey, content }, serverName());
  if (requester.shadowBanned) return shadowBannedEvent();
  return sent(
    await submitRoomCommand({ kind: 'send', roomId: requireRoomId(roomId), sender: requester.userId, deviceId: requester.deviceId, type, stateKey, content }),
  );
}

/** PUT /rooms/{roomId}/redact/{eventId}/{txnId} → the redaction event's id. */
export async function redactEvent(
  requester: Requester,
  body: unknown,
  roomId: string,
  eventId: string,
  txnId: string,
): Promise<{ event_id: string }> {
  await limitWrites(requester);
  const { reason } = parseRequestBody(redactRequest, body ?? {});
  if (!isValidEventId(eventId)) throw notFound('Unknown event');
  checkTxnId(txnId);
  const seen = await transactionIds.key(redactTransactionKey(requester.userId, requester.deviceId, roomId, txnId)).get();
  if (seen?.eventId) return { event_id: seen.eventId };
  if (requester.shadowBanned) return shadowBannedEvent();
  return sent(
    await submitRoomCommand({
      kind: 'redact',
      roomId: requireRoomId(roomId),
      sender: requester.userId,
      deviceId: requester.deviceId,
      redacts: eventId,
      txnId,
      ...(reason !== undefined ? { reason } : {}),
    }),
  );
}

function sent(result: RoomCommandResult): { event_id: string } {
  if (!result.eventId) throw new MatrixError(500, 'M_UNKNOWN', 'No event was written');
  return { event_id: result.eventId };
}
