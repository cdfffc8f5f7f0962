// Power levels (spec m.room.power_levels): defaults, lookups, and the change rules of the
// authorization rules, per room version where they differ.
import type { JsonObject, JsonValue } from './canonical-json.ts';
import type { EventLike, RoomState } from './room-state.ts';
import { isValidUserId } from './ids.ts';
import { roomVersionRules, type RoomVersion, type RoomVersionRules } from './room-versions.ts';

export interface PowerLevels {
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  events_default: number;
  state_default: number;
  users_default: number;
  events: Record<string, number>;
  users: Record<string, number>;
  notifications: Record<string, number>;
  /** v12+ (MSC4289): the room's creators, above every level (never in `users`). */
  creators: string[];
}

export const POWER_LEVEL_FIELDS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

/**
 * The content Synapse writes for a new room (before presets and overrides). With privileged
 * creators (v12) the creator is not listed and the tombstone needs 150, above every admin.
 */
export function defaultPowerLevelsContent(creator: string, version: RoomVersion): JsonObject {
  const privileged = roomVersionRules(version).privilegedCreators;
  return {
    users: privileged ? {} : { [creator]: 100 },
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': privileged ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    historical: 100,
  };
}

// Levels are integers canonical JSON can carry: |n| ≤ 2^53 - 1 (Synapse's schema refuses the rest).
const asInt = (value: JsonValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;

function intMap(value: JsonValue | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      const n = asInt(v);
      if (n !== undefined) out[key] = n;
    }
  }
  return out;
}

/** The room's creator: v11+ names it by the create event's sender, earlier versions by `content.creator`. */
export function roomCreator(create: EventLike | undefined, version: RoomVersion): string | undefined {
  if (!create) return undefined;
  if (!roomVersionRules(version).implicitRoomCreator && typeof create.content.creator === 'string') return create.content.creator;
  return create.sender;
}

/** The users MSC4289 makes creators (v12+): the create event's sender and its `additional_creators`. */
export function roomCreators(create: EventLike | undefined, version: RoomVersion): string[] {
  if (!create || !roomVersionRules(version).privilegedCreators) return [];
  const additional = create.content.additional_creators;
  return [create.sender, ...(Array.isArray(additional) ? additional.filter((u): u is string => typeof u === 'string') : [])];
}

/**
 * The effective power levels of a room. Without a power levels event the creator has 100,
 * everyone else 0, and every action needs 0 except ban/kick/redact (50) — the spec's defaults.
 */
export function powerLevelsOf(state: RoomState, version: RoomVersion): PowerLevels {
  const event = state.get('m.room.power_levels', '');
  const create = state.get('m.room.create', '');
  const creators = roomCreators(create, version);
  if (!event) {
    const creator = roomCreator(create, version);
    return {
      ban: 50, kick: 50, redact: 50, invite: 0, events_default: 0, state_default: 0, users_default: 0,
      events: {}, users: creator && !creators.length ? { [creator]: 100 } : {}, notifications: { room: 50 }, creators,
    };
  }
  return parsePowerLevels(event.content, creators);
}

export function parsePowerLevels(content: JsonObject, creators: string[] = []): PowerLevels {
  return {
    ban: asInt(content.ban) ?? 50,
    kick: asInt(content.kick) ?? 50,
    redact: asInt(content.redact) ?? 50,
    invite: asInt(content.invite) ?? 0,
    events_default: asInt(content.events_default) ?? 0,
    state_default: asInt(content.state_default) ?? 50,
    users_default: asInt(content.users_default) ?? 0,
    events: intMap(content.events),
    users: intMap(content.users),
    notifications: { room: 50, ...intMap(content.notifications) },
    creators,
  };
}

/** A user's level; a v12 creator's is infinite (MSC4289: above any integer a power levels event can hold). */
export function userLevel(levels: PowerLevels, userId: string): number {
  if (levels.creators.includes(userId)) return Infinity;
  return levels.users[userId] ?? levels.users_default;
}

/** The level needed to send an event of this type (state or not). */
export function requiredLevel(levels: PowerLevels, type: string, isState: boolean): number {
  return levels.events[type] ?? (isState ? levels.state_default : levels.events_default);
}

/** Why a power levels content is malformed under v10+ rules, or undefined when well-formed. */
export function powerLevelsContentProblem(content: JsonObject): string | undefined {
  for (const field of POWER_LEVEL_FIELDS) {
    if (content[field] !== undefined && asInt(content[field]) === undefined) return `${field} must be an integer`;
  }
  for (const field of ['events', 'notifications'] as const) {
    const value = content[field];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${field} must be an object`;
    for (const [key, v] of Object.entries(value)) if (asInt(v) === undefined) return `${field}.${key} must be an integer`;
  }
  const users = content.users;
  if (users !== undefined) {
    if (typeof users !== 'object' || users === null || Array.isArray(users)) return 'users must be an object';
    for (const [key, v] of Object.entries(users)) {
      if (!isValidUserId(key)) return `users key ${key} is not a user id`;
      if (asInt(v) === undefined) return `users.${key} must be an integer`;
    }
  }
  return undefined;
}

type LevelMap = Record<string, number | undefined>;

function changedKeys(oldMap: LevelMap, newMap: LevelMap): string[] {
  const keys = new Set([...Object.keys(oldMap), ...Object.keys(newMap)]);
  return [...keys].filter((key) => oldMap[key] !== newMap[key]);
}

/**
 * Auth rule 10 (m.room.power_levels) for a change by `sender`: undefined when allowed, otherwise
 * the reason. `oldContent` is undefined when the room has no power levels event yet.
 */
export function powerLevelsChangeProblem(
  sender: string,
  senderLevel: number,
  oldContent: JsonObject | undefined,
  newContent: JsonObject,
  rules: Pick<RoomVersionRules, 'limitNotificationsPowerLevels'>,
): string | undefined {
  const malformed = powerLevelsContentProblem(newContent);
  if (malformed) return malformed;
  if (!oldContent) return undefined;
  const tooHigh = (oldValue: number | undefined, newValue: number | undefined) =>
    (oldValue !== undefined && oldValue > senderLevel) || (newValue !== undefined && newValue > senderLevel);

  // Top-level fields compare their raw values: adding or removing one counts as a change.
  for (const field of POWER_LEVEL_FIELDS) {
    const before = asInt(oldContent[field]);
    const after = asInt(newContent[field]);
    if (before !== after && tooHigh(before, after)) return `cannot change ${field} beyond your own level`;
  }
  // `notifications` levels are bounded from v6 (MSC2209); before, anyone who may send power levels sets them.
  for (const field of rules.limitNotificationsPowerLevels ? (['events', 'notifications'] as const) : (['events'] as const)) {
    const before = intMap(oldContent[field]);
    const after = intMap(newContent[field]);
    for (const key of changedKeys(before, after)) {
      if (tooHigh(before[key], after[key])) return `cannot change ${field}.${key} beyond your own level`;
    }
  }
  const usersBefore = intMap(oldContent.users);
  const usersAfter = intMap(newContent.users);
  for (const user of changedKeys(usersBefore, usersAfter)) {
    const before = usersBefore[user];
    const after = usersAfter[user];
    if (tooHigh(before, after)) return `cannot give ${user} a level above your own`;
    if (user !== sender && before !== undefined && before >= senderLevel) {
      return `cannot change the level of ${user}, who is at or above your own`;
    }
  }
  return undefined;
}
