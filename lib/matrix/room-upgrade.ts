// Room upgrades (POST /rooms/{roomId}/upgrade) as plans, the way Synapse does them: the new room's
// initial events copy the old room's transferable state (the upgrader given enough power for the
// copy, restored at the end), and the old room gets a tombstone, loses its canonical alias and is
// restricted so that only moderators keep talking there.
import type { JsonObject } from './canonical-json.ts';
import { authorizeEvent } from './auth-rules.ts';
import type { PlannedEvent } from './create-room.ts';
import { MatrixError } from './errors.ts';
import { defaultPowerLevelsContent, parsePowerLevels } from './power-levels.ts';
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
  newRoomId: string;
  version: RoomVersion;
  upgrader: string;
  profile?: { displayname?: string | null; avatar_url?: string | null };
}

/**
 * The level the upgrader needs to copy every state event and the bans (Synapse's rule: the
 * highest of state_default, ban and every per-event level).
 */
function neededLevel(content: JsonObject): number {
  const levels = parsePowerLevels(content);
  return Math.max(levels.state_default, levels.ban, ...Object.values(levels.events), 0);
}

/** The new room's initial events, checked against the auth rules one by one (throws when one would be refused). */
export function planUpgradedRoom(source: UpgradeSource, target: UpgradeTarget): PlannedEvent[] {
  const { upgrader } = target;
  const state = (type: string, content: JsonObject, state_key = ''): PlannedEvent => ({ type, state_key, sender: upgrader, content });
  const oldCreate = source.state.get('m.room.create', '')?.content ?? {};
  const creation: JsonObject = { room_version: target.version, predecessor: { room_id: source.oldRoomId, event_id: source.lastEventId } };
  for (const field of KEPT_CREATION_FIELDS) if (oldCreate[field] !== undefined) creation[field] = oldCreate[field];
  if (!roomVersionRules(target.version).implicitRoomCreator) creation.creator = upgrader;

  const join: JsonObject = { membership: 'join' };
  if (target.profile?.displayname) join.displayname = target.profile.displayname;
  if (target.profile?.avatar_url) join.avatar_url = target.profile.avatar_url;

  const original = source.state.get('m.room.power_levels', '')?.content ?? defaultPowerLevelsContent(upgrader);
  const levels = parsePowerLevels(original);
  const current = levels.users[upgrader] ?? levels.users_default;
  const needed = neededLevel(original);
  const raised = current < needed;
  const powerLevels: JsonObject = raised ? { ...original, users: { ...(original.users as JsonObject | undefined), [upgrader]: needed } } : original;

  const events: PlannedEvent[] = [state('m.room.create', creation), state('m.room.member', join, upgrader), state('m.room.power_levels', powerLevels)];
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
    const result = authorizeEvent({ ...event, room_id: target.newRoomId }, roomState, target.version);
    if (!result.allowed) throw new MatrixError(400, 'M_UNKNOWN', `The upgraded room's ${event.type} would not be allowed: ${result.reason}`);
    roomState.set(event);
  }
  return events;
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
