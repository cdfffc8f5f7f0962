// The commands the rooms depot carries (partition key = room id). HTTP operations validate input
// and submit one; the rooms topology applies them one at a time, in order per room, each exactly
// once. Everything a topology needs to build the same events again on a re-plan is in the command
// (profiles are read by the operation), so a redelivered command yields identical events.
import { z } from 'zod';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH } from '../accounts/commands.ts';
import type { JsonObject } from '../canonical-json.ts';
import { chars, eventContent, freeText, id, MAX_ID_BYTES, text } from '../command-fields.ts';
import type { PlannedEvent } from '../create-room.ts';
import { directoryCommand } from '../directory/commands.ts';
import type { MembershipAction, Profile } from '../membership.ts';
import { SUPPORTED_ROOM_VERSIONS, type RoomVersion } from '../room-versions.ts';

/** POST /createRoom: the room's initial events, planned (and validated) by the operation. */
export interface CreateRoomCommand {
  kind: 'createRoom';
  roomId: string;
  creator: string;
  roomVersion: RoomVersion;
  /** Full alias to map to the room (M_ROOM_IN_USE when taken). */
  alias?: string;
  /** `public`: listed in the public room directory. */
  visibility: 'public' | 'private';
  events: PlannedEvent[];
}

/** join / knock / leave / invite / kick / ban / unban. */
export interface MembershipCommand {
  kind: 'membership';
  roomId: string;
  action: MembershipAction;
  sender: string;
  /** The user the action applies to (the sender for join, knock and leave). */
  target: string;
  reason?: string;
  /** Copied into the event: the sender's profile for join and knock, the invitee's for invite. */
  profile?: Profile;
  /**
   * PUT /state/m.room.member: the client's content (reason, per-room profile, ...). `action` is
   * the membership it names, a leave of another user being `kick` (an unban when they are banned).
   */
  content?: JsonObject;
  /**
   * POST /join/{roomIdOrAlias}: the request body, kept in the join event as Synapse keeps it
   * (custom fields, a per-room profile, the reason); membership and the authoriser are the server's.
   */
  bodyContent?: JsonObject;
}

/** POST /rooms/{roomId}/forget: the room disappears from the user's lists (only when not joined). */
export interface ForgetCommand {
  kind: 'forget';
  roomId: string;
  userId: string;
}

/** PUT send (message events, with a transaction id) and PUT state (state events). */
export interface SendCommand {
  kind: 'send';
  roomId: string;
  sender: string;
  deviceId: string;
  type: string;
  /** Present for state events (may be empty). */
  stateKey?: string;
  content: JsonObject;
  /** PUT send's transaction id: a repeated one answers the first event id and sends nothing. */
  txnId?: string;
}

/** PUT /rooms/{roomId}/redact/{eventId}/{txnId}. */
export interface RedactCommand {
  kind: 'redact';
  roomId: string;
  sender: string;
  deviceId: string;
  redacts: string;
  reason?: string;
  txnId: string;
}

/**
 * A user's profile changed (PUT displayname / avatar_url): re-send their join event in this room
 * with the new profile. The accounts area appends one per joined room (partition key = room id).
 * `null` or '' removes the field; an absent field keeps what the member event has.
 */
export interface ProfileCommand {
  kind: 'profile';
  roomId: string;
  userId: string;
  displayname?: string | null;
  avatar_url?: string | null;
}

/**
 * POST /rooms/{roomId}/upgrade, in the old room once the replacement exists: the tombstone, the
 * canonical alias removed, the local aliases and the directory listing moved to the replacement,
 * and the power levels restricted (the last two steps skipped when the upgrader lacks the power).
 */
export interface TombstoneCommand {
  kind: 'tombstone';
  roomId: string;
  sender: string;
  replacementRoom: string;
}

/**
 * DELETE /_synapse/admin/v2/rooms/{roomId}, its first step: the task recorded, the room blocked if
 * asked, the members to remove listed. The topology then appends their leaves and forgets and the
 * last step (lib/matrix/rooms/deletion.ts), each with a request id of its own so each applies once.
 */
export interface DeleteRoomCommand {
  kind: 'deleteRoom';
  roomId: string;
  deleteId: string;
  requester: string;
  block: boolean;
  purge: boolean;
  forcePurge: boolean;
  /** Synapse's `new_room_user_id`: the room made for the members (by `creator`), who join it, and the message posted there. */
  newRoom?: { roomId: string; creator: string; message: string };
}

/** A room deletion's last step, after its members' leaves: the result, the aliases and listing removed, the purge. */
export interface FinishRoomDeletionCommand {
  kind: 'finishRoomDeletion';
  roomId: string;
  deleteId: string;
}

/** PUT /_synapse/admin/v1/rooms/{roomId}/block: in the room's order, so no join passes a block applied before it. */
export interface BlockRoomCommand {
  kind: 'blockRoom';
  roomId: string;
  userId: string;
  block: boolean;
}

export type RoomAdminCommand = DeleteRoomCommand | FinishRoomDeletionCommand | BlockRoomCommand;

export type RoomCommand = CreateRoomCommand | MembershipCommand | ForgetCommand | SendCommand | RedactCommand | ProfileCommand | TombstoneCommand | RoomAdminCommand;

/** What the topology answers: the new event's id (absent when nothing had to be written). */
export interface RoomCommandResult {
  roomId: string;
  eventId?: string;
}

// --- The validator of every command on the rooms depot (command-fields.ts): the edge's and the topology's ---

/** The spec's limits on an event's type and state key: 255 bytes (M_BAD_JSON past them, as events.ts). */
const eventType = text(MAX_ID_BYTES, { errcode: 'M_BAD_JSON', nonEmpty: true });
const stateKey = text(MAX_ID_BYTES, { errcode: 'M_BAD_JSON' });
const txnId = text(MAX_ID_BYTES, { nonEmpty: true });
const displayname = chars(MAX_DISPLAYNAME_LENGTH).nullable().optional();
const avatarUrl = chars(MAX_AVATAR_URL_LENGTH).nullable().optional();
const plannedEvent = z.strictObject({ type: eventType, state_key: stateKey, sender: id, content: eventContent, origin_server_ts: z.number().int().nonnegative().optional() });
const ACTIONS = ['join', 'knock', 'leave', 'invite', 'kick', 'ban', 'unban'] as const satisfies readonly MembershipAction[];

/** Strict: a field the interfaces above gain must be added here too (or the edge refuses the command). */
const roomCommandSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('createRoom'),
    roomId: id,
    creator: id,
    roomVersion: z.enum(SUPPORTED_ROOM_VERSIONS),
    alias: id.optional(),
    visibility: z.enum(['public', 'private']),
    events: z.array(plannedEvent),
  }),
  z.strictObject({
    kind: z.literal('membership'),
    roomId: id,
    action: z.enum(ACTIONS),
    sender: id,
    target: id,
    reason: freeText.optional(),
    profile: z.strictObject({ displayname, avatar_url: avatarUrl }).optional(),
    content: eventContent.optional(),
    bodyContent: eventContent.optional(),
  }),
  z.strictObject({ kind: z.literal('forget'), roomId: id, userId: id }),
  z.strictObject({
    kind: z.literal('send'),
    roomId: id,
    sender: id,
    deviceId: id,
    type: eventType,
    stateKey: stateKey.optional(),
    content: eventContent,
    txnId: txnId.optional(),
  }),
  z.strictObject({ kind: z.literal('redact'), roomId: id, sender: id, deviceId: id, redacts: id, reason: freeText.optional(), txnId }),
  z.strictObject({ kind: z.literal('profile'), roomId: id, userId: id, displayname, avatar_url: avatarUrl }),
  z.strictObject({ kind: z.literal('tombstone'), roomId: id, sender: id, replacementRoom: id }),
  z.strictObject({
    kind: z.literal('deleteRoom'),
    roomId: id,
    deleteId: id,
    requester: id,
    block: z.boolean(),
    purge: z.boolean(),
    forcePurge: z.boolean(),
    newRoom: z.strictObject({ roomId: id, creator: id, message: freeText }).optional(),
  }),
  z.strictObject({ kind: z.literal('finishRoomDeletion'), roomId: id, deleteId: id }),
  z.strictObject({ kind: z.literal('blockRoom'), roomId: id, userId: id, block: z.boolean() }),
]);

/** Every command of the rooms depot: the rooms topology's own and the room directory's. */
export const roomsDepotCommand = z.discriminatedUnion('kind', [roomCommandSchema, directoryCommand]);

// What the schema accepts is a RoomCommand (checked when compiling); a field an interface gains
// and the schema lacks is refused at the edge (strict objects), which every route's tests exercise.
type AssignableTo<A extends B, B> = A;
export type ValidatedRoomCommand = AssignableTo<z.output<typeof roomCommandSchema>, RoomCommand>;
