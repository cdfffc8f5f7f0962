// POST /createRoom as a plan: the validated request turned into the ordered initial events of
// the new room (spec order, Synapse's presets and default power levels). Every planned event is
// run through the auth rules, so a request whose initial state could not be sent is refused
// before anything is written.
import type { JsonObject } from './canonical-json.ts';
import { additionalCreatorsProblem, authorizeEvent } from './auth-rules.ts';
import { roomIdOfCreateEvent } from './events.ts';
import { checkClientEvent } from './client-event-rules.ts';
import { badJson, invalidParam, MatrixError, tooLarge } from './errors.ts';
import { formatRoomAlias, isValidUserId, parseRoomAlias, serverName } from './ids.ts';
import { defaultPowerLevelsContent } from './power-levels.ts';
import { createRoomRequest, parseRequestBody } from './request-schemas.ts';
import { MapRoomState } from './room-state.ts';
import { DEFAULT_ROOM_VERSION, requireRoomVersion, roomVersionRules, type RoomVersion } from './room-versions.ts';

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

/** An initial event before the room's writer gives it position, timestamp and id. */
export interface PlannedEvent {
  type: string;
  state_key: string;
  sender: string;
  content: JsonObject;
  /** Only a v12 create event: the timestamp its hash (the room id) was computed with. */
  origin_server_ts?: number;
}

export interface CreateRoomPlan {
  roomId: string;
  roomVersion: RoomVersion;
  preset: Preset;
  visibility: 'public' | 'private';
  /** The full alias to map to the room, when `room_alias_name` was given. */
  alias?: string;
  invitees: string[];
  isDirect: boolean;
  events: PlannedEvent[];
}

const presets: Record<Preset, { joinRule: string; historyVisibility: string; guestAccess: string; plOverride: JsonObject; inviteesAreOps: boolean }> = {
  private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', plOverride: { invite: 0 }, inviteesAreOps: false },
  trusted_private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', plOverride: { invite: 0 }, inviteesAreOps: true },
  public_chat: { joinRule: 'public', historyVisibility: 'shared', guestAccess: 'forbidden', plOverride: {}, inviteesAreOps: false },
};

const invalidRoomState = (message: string) => new MatrixError(400, 'M_INVALID_ROOM_STATE', message);

export interface CreateRoomOptions {
  /** The id for a room version whose ids are random (v1–v11); v12's is the create event's hash. */
  roomId: string;
  creator: string;
  /** Now: a v12 create event's timestamp. */
  now?: number;
  /** The creator's profile, copied into their join event. */
  profile?: { displayname?: string | null; avatar_url?: string | null };
  server?: string;
}

/** Validates a createRoom body and plans the room's initial events; throws MatrixError on bad input. */
/**
 * Invitees of one createRoom: Synapse checks them against rc_invites.per_room, whose default burst
 * is 10, and answers more with 400 "Cannot invite so many users at once"; so does Axon (a fixed
 * cap: the invitees are read and invited in the room's one creation command).
 */
export const MAX_CREATE_ROOM_INVITES = 10;

/**
 * initial_state events of one createRoom. Synapse has no count (only its body limit), but here the
 * whole room is one depot command the rooms topology commits in one go: 1 MiB of tiny state events
 * would be some 25,000 events for one record. Clients send a handful (Element: up to 5).
 */
export const MAX_INITIAL_STATE_EVENTS = 100;

export function planCreateRoom(body: unknown, options: CreateRoomOptions): CreateRoomPlan {
  const request = parseRequestBody(createRoomRequest, body);
  const server = options.server ?? serverName();
  const { creator } = options;
  const roomVersion = request.room_version === undefined ? DEFAULT_ROOM_VERSION : requireRoomVersion(request.room_version);
  const rules = roomVersionRules(roomVersion);
  const visibility = request.visibility ?? 'private';
  const preset: Preset = request.preset ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
  const config = presets[preset];

  let alias: string | undefined;
  if (request.room_alias_name !== undefined) {
    const candidate = `#${request.room_alias_name}:${server}`;
    if (!parseRoomAlias(candidate)) throw invalidParam(`Invalid room_alias_name: ${request.room_alias_name}`);
    alias = formatRoomAlias(request.room_alias_name, server);
  }
  const invitees = [...new Set(request.invite ?? [])];
  if (invitees.length > MAX_CREATE_ROOM_INVITES) throw new MatrixError(400, 'M_UNKNOWN', 'Cannot invite so many users at once');
  for (const user of invitees) if (!isValidUserId(user)) throw invalidParam(`Invalid user id in invite: ${user}`);
  if ((request.invite_3pid ?? []).length > 0) throw invalidParam('Third-party invites are not supported');

  const override = request.power_level_content_override as JsonObject | undefined;
  // As Synapse: an override that lists users must keep the creator, who sends the rest of the room
  // (v12's creator is above every level, and must not be listed: the auth rules refuse that).
  if (override?.users !== undefined && !rules.privilegedCreators) {
    const users = override.users;
    if (typeof users !== 'object' || users === null || Array.isArray(users) || !Object.hasOwn(users, creator)) {
      throw invalidParam(`power_level_content_override.users must contain ${creator}`);
    }
  }

  const initialState = request.initial_state ?? [];
  if (initialState.length > MAX_INITIAL_STATE_EVENTS) throw tooLarge(`At most ${MAX_INITIAL_STATE_EVENTS} initial_state events`);
  for (const state of initialState) {
    if (state.type === 'm.room.create' || state.type === 'm.room.member') {
      throw invalidRoomState(`${state.type} cannot be set through initial_state`);
    }
  }
  const hasInitial = (type: string) => initialState.some((s) => s.type === type && s.state_key === '');
  const state = (type: string, content: JsonObject, state_key = ''): PlannedEvent => ({ type, state_key, sender: creator, content });

  const events: PlannedEvent[] = [];
  // 1. create: the server sets room_version, and `creator` before v11 (v11 names the creator by sender).
  const creation: JsonObject = { ...(request.creation_content as JsonObject | undefined) };
  delete creation.creator;
  creation.room_version = roomVersion;
  if (!rules.implicitRoomCreator) creation.creator = creator;
  let roomId = options.roomId;
  if (rules.privilegedCreators) {
    const additional = creation.additional_creators;
    if (additional !== undefined) {
      const problem = additionalCreatorsProblem(additional);
      if (problem) throw badJson(problem);
    }
    // As Synapse: a trusted private chat's invitees are its creators too (not ops in power levels).
    if (preset === 'trusted_private_chat' && invitees.length) {
      creation.additional_creators = [...new Set([...((additional as string[] | undefined) ?? []), ...invitees])];
    }
  }
  if (rules.roomIdIsCreateEventHash) {
    const origin_server_ts = options.now ?? Date.now();
    roomId = roomIdOfCreateEvent({ sender: creator, content: creation, origin_server_ts }, roomVersion);
    events.push({ ...state('m.room.create', creation), origin_server_ts });
  } else {
    events.push(state('m.room.create', creation));
  }

  // 2. the creator joins
  const join: JsonObject = { membership: 'join' };
  if (options.profile?.displayname) join.displayname = options.profile.displayname;
  if (options.profile?.avatar_url) join.avatar_url = options.profile.avatar_url;
  events.push(state('m.room.member', join, creator));

  // 3. power levels: the default (or initial_state's), the preset's, invitee ops, then the override
  const fromInitial = initialState.find((s) => s.type === 'm.room.power_levels' && s.state_key === '');
  const powerLevels: JsonObject = fromInitial
    ? { ...(fromInitial.content as JsonObject) }
    : { ...defaultPowerLevelsContent(creator, roomVersion), invite: 50, ...config.plOverride };
  if (config.inviteesAreOps && !rules.privilegedCreators) {
    const users = { ...(powerLevels.users as JsonObject) };
    for (const user of invitees) users[user] = users[creator] ?? 100;
    powerLevels.users = users;
  }
  Object.assign(powerLevels, override ?? {});
  events.push(state('m.room.power_levels', powerLevels));

  // 4. canonical alias
  if (alias) events.push(state('m.room.canonical_alias', { alias }));

  // 5. preset events, unless initial_state sets them
  if (!hasInitial('m.room.join_rules')) events.push(state('m.room.join_rules', { join_rule: config.joinRule }));
  if (!hasInitial('m.room.history_visibility')) events.push(state('m.room.history_visibility', { history_visibility: config.historyVisibility }));
  if (!hasInitial('m.room.guest_access')) events.push(state('m.room.guest_access', { guest_access: config.guestAccess }));

  // 6. initial_state (power levels were merged above; name/topic given directly win)
  for (const s of initialState) {
    if (s.type === 'm.room.power_levels' && s.state_key === '') continue;
    if (s.state_key === '' && ((s.type === 'm.room.name' && request.name !== undefined) || (s.type === 'm.room.topic' && request.topic !== undefined))) continue;
    events.push(state(s.type, s.content as JsonObject, s.state_key));
  }

  // 7. name and topic
  if (request.name !== undefined) events.push(state('m.room.name', { name: request.name }));
  if (request.topic !== undefined) {
    events.push(state('m.room.topic', { topic: request.topic, 'm.topic': { 'm.text': [{ body: request.topic, mimetype: 'text/plain' }] } }));
  }

  // 8. invites
  for (const user of invitees) {
    if (user === creator) continue;
    events.push(state('m.room.member', { membership: 'invite', ...(request.is_direct ? { is_direct: true } : {}) }, user));
  }

  // Every event must pass the auth rules against the state before it.
  const roomState = new MapRoomState();
  for (const event of events) {
    if (event.type !== 'm.room.create' && event.type !== 'm.room.member') {
      try {
        checkClientEvent({ roomId, type: event.type, stateKey: event.state_key, content: event.content }, server);
      } catch (e) {
        if (e instanceof MatrixError) throw invalidRoomState(`The initial ${event.type} event is not allowed: ${e.message}`);
        throw e;
      }
    }
    const result = authorizeEvent({ ...event, room_id: roomId }, roomState, roomVersion);
    if (!result.allowed) {
      if (result.errcode === 'M_UNSUPPORTED_ROOM_VERSION') throw new MatrixError(400, result.errcode, result.reason);
      throw invalidRoomState(`The initial ${event.type} event is not allowed: ${result.reason}`);
    }
    roomState.set(event);
  }

  return { roomId, roomVersion, preset, visibility, ...(alias ? { alias } : {}), invitees: invitees.filter((u) => u !== creator), isDirect: request.is_direct ?? false, events };
}
