// The commands the rooms depot carries (partition key = room id). HTTP operations validate input
// and submit one; the rooms topology applies them one at a time, in order per room, each exactly
// once. Everything a topology needs to build the same events again on a re-plan is in the command
// (profiles are read by the operation), so a redelivered command yields identical events.
import type { JsonObject } from '../canonical-json.ts';
import type { PlannedEvent } from '../create-room.ts';
import type { MembershipAction, Profile } from '../membership.ts';
import type { RoomVersion } from '../room-versions.ts';

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

export type RoomCommand = CreateRoomCommand | MembershipCommand | ForgetCommand | SendCommand | RedactCommand | ProfileCommand | TombstoneCommand;

/** What the topology answers: the new event's id (absent when nothing had to be written). */
export interface RoomCommandResult {
  roomId: string;
  eventId?: string;
}
