// Room upgrades (POST /rooms/{roomId}/upgrade) as plans, the way Synapse does them: the new room's
// initial events copy the old room's transferable state (the upgrader given enough power for the
// copy, restored at the end), and the old room gets a tombstone, loses its canonical alias and is
// restricted so that only moderators keep talking there.
import type { JsonObject } from './canonical-json.ts';
import { authorizeEvent } from './auth-rules.ts';
import type { PlannedEvent } from './create-room.ts';
import { MatrixError } from './errors.ts';
import { roomIdOfCreateEvent } from './events.ts';
import { defaultPowerLevelsContent, parsePowerLevels, userLevel } from './power-levels.ts';
import { MapRoomState, type EventLike, type RoomState } from './room-state.ts';
import { roomVersionRules, type RoomVersion } from './room-versions.ts';

/** The state copied into the new room, in Synapse's order (power levels are handled apart). */
export const TRANSFERRED_STATE_TYPES = [
  'm.room.join_rules',
  'm.room.name',
  'm.room.topic',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.server_acl',
  'm.room.canonical_alias',
] as const;

/** Fields of the old m.room.create kept by the new one (Synapse: the room type and federation flag). */
const KEPT_CREATION_FIELDS = ['type', 'm.federate'] as const;

export interface UpgradeSource {
  oldRoomId: string;
  /** The old room's newest event: the new room's `predecessor.event_id`. */
  lastEventId: string;
  /** The old room's state: at least create, power levels, the transferred types. */
  state: RoomState;
  /** Users banned in the old room: banned in the new one too. */
  banned: readonly string[];
  /** A space's m.space.child events: a space keeps its rooms (Synapse copies them for spaces only). */
  spaceChildren?: readonly EventLike[];
}

export interface UpgradeTarget {
  /** The new room's id for versions whose ids are random (v1–v11); v12's is its create event's hash. */
  newRoomId: string;
  version: RoomVersion;
  upgrader: string;
  profile?: { displayname?: string | null; avatar_url?: string | null };
  /** v12 (MSC4289): further creators of the new room, named in the upgrade request. */
  additionalCreators?: string[];
  /** Now: a v12 create event's timestamp. */
  now?: number;
}

export interface UpgradePlan {
  roomId: string;
  events: PlannedEvent[];
}

/**
 * The level the upgrader needs to copy every state event and the bans (Synapse's rule: the
 * highest of state_default, ban and every per-event level).
 */
function neededLevel(content: JsonObject): number {
  const levels = parsePowerLevels(content);
  return Math.max(levels.state_default, levels.ban, ...Object.values(levels.events), 0);
}

/** The new room's id and initial events, checked against the auth rules one by one (throws when one would be refused). */
export function planUpgradedRoom(source: UpgradeSource, target: UpgradeTarget): UpgradePlan {
  const { upgrader } = target;
  const rules = roomVersionRules(target.version);
  const state = (type: string, content: JsonObject, state_key = ''): PlannedEvent => ({ type, state_key, sender: upgrader, content });
  const oldCreate = source.state.get('m.room.create', '')?.content ?? {};
  // A v12 room's id is its create event's hash, so its predecessor cannot name an event of the
  // old room sent after it (Synapse leaves `event_id` out).
  const predecessor: JsonObject = rules.roomIdIsCreateEventHash ? { room_id: source.oldRoomId } : { room_id: source.oldRoomId, event_id: source.lastEventId };
  const creation: JsonObject = { room_version: target.version, predecessor };
  for (const field of KEPT_CREATION_FIELDS) if (oldCreate[field] !== undefined) creation[field] = oldCreate[field];
  if (!rules.implicitRoomCreator) creation.creator = upgrader;
  const additionalCreators = rules.privilegedCreators ? (target.additionalCreators ?? []) : [];
  if (additionalCreators.length) creation.additional_creators = additionalCreators;
  let roomId = target.newRoomId;
  let create = state('m.room.create', creation);
  if (rules.roomIdIsCreateEventHash) {
    const origin_server_ts = target.now ?? Date.now();
    roomId = roomIdOfCreateEvent({ sender: upgrader, content: creation, origin_server_ts }, target.version);
    create = { ...create, origin_server_ts };
  }

  const join: JsonObject = { membership: 'join' };
  if (target.profile?.displayname) join.displayname = target.profile.displayname;
  if (target.profile?.avatar_url) join.avatar_url = target.profile.avatar_url;

  const copied = source.state.get('m.room.power_levels', '')?.content ?? defaultPowerLevelsContent(upgrader, target.version);
  // v12: the new room's creators are above every level and must leave `users` (as Synapse).
  const creators = rules.privilegedCreators ? [upgrader, ...additionalCreators] : [];
  const original = creators.length ? withoutUsers(copied, creators) : copied;
  const levels = parsePowerLevels(original, creators);
  const current = userLevel(levels, upgrader);
  const needed = neededLevel(original);
  const raised = current < needed;
  const powerLevels: JsonObject = raised ? { ...original, users: { ...(original.users as JsonObject | undefined), [upgrader]: needed } } : original;

  const events: PlannedEvent[] = [create, state('m.room.member', join, upgrader), state('m.room.power_levels', powerLevels)];
  for (const type of TRANSFERRED_STATE_TYPES) {
    const old = source.state.get(type, '');
    if (old && Object.keys(old.content).length) events.push(state(type, old.content));
  }
  if (oldCreate.type === 'm.space') {
    for (const child of source.spaceChildren ?? []) {
      if (child.state_key !== undefined && Object.keys(child.content).length) events.push(state('m.space.child', child.content, child.state_key));
    }
  }
  for (const user of source.banned) if (user !== upgrader) events.push(state('m.room.member', { membership: 'ban' }, user));
  if (raised) events.push(state('m.room.power_levels', original));

  const roomState = new MapRoomState();
  for (const event of events) {
    const result = authorizeEvent({ ...event, room_id: roomId }, roomState, target.version);
    if (!result.allowed) throw new MatrixError(400, 'M_UNKNOWN', `The upgraded room's ${event.type} would not be allowed: ${result.reason}`);
    roomState.set(event);
  }
  return { roomId, events };
}

function withoutUsers(content: JsonObject, removed: readonly string[]): JsonObject {
  const users = content.users;
  if (typeof users !== 'object' || users === null || Array.isArray(users)) return content;
  const kept = Object.fromEntries(Object.entries(users).filter(([user]) => !removed.includes(user)));
  return { ...content, users: kept };
}

/** The tombstone that sends clients to the replacement room. */
export function tombstoneContent(replacementRoom: string): JsonObject {
  return { body: 'This room has been replaced', replacement_room: replacementRoom };
}

/**
 * The old room's power levels after the upgrade (Synapse): sending messages and inviting need at
 * least max(users_default + 1, 50), so ordinary members stop using it. Undefined when unchanged.
 */
export function restrictedPowerLevels(current: EventLike | undefined): JsonObject | undefined {
  if (!current) return undefined;
  const levels = parsePowerLevels(current.content);
  const restricted = Math.max(levels.users_default + 1, 50);
  const next: JsonObject = { ...current.content };
  let changed = false;
  for (const field of ['events_default', 'invite'] as const) {
    if (levels[field] < restricted) {
      next[field] = restricted;
      changed = true;
    }
  }
  return changed ? next : undefined;
}
