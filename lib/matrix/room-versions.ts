// The room versions Axon serves, as one table of the rules where they differ (after Synapse's
// rust/src/room_versions.rs, whose flag names these follow). Auth rules, redaction, event ids and
// room creation read the flags, never a version number.
import { unsupportedRoomVersion } from './errors.ts';

export interface RoomVersionRules {
  /**
   * How event ids are made. `server-suffixed` (v1, v2): `$opaque:server`, the opaque part here
   * derived from the reference hash so a rebuilt event keeps its id. `reference-hash` (v3+):
   * `$` + unpadded url-safe base64 of the reference hash. (v3 is standard base64 in the spec; an
   * id with `/` could not be addressed in a path behind API Gateway, which decodes %2F before
   * routing, so v3 uses v4's alphabet.)
   */
  eventIds: 'server-suffixed' | 'reference-hash';
  /** v1–v5: m.room.aliases has its own auth rule (state key = sender's server) and keeps `aliases` on redaction. */
  specialCaseAliasesAuth: boolean;
  /** v6+ (MSC2209): changes to `notifications` levels are bounded by the sender's level. */
  limitNotificationsPowerLevels: boolean;
  /** v11+ (MSC2175): the creator is the create event's sender; `creator` is no longer in its content. */
  implicitRoomCreator: boolean;
  /** v11+ (MSC2176/MSC3821/MSC3989): the updated redaction algorithm; `redacts` moves into content. */
  updatedRedactionRules: boolean;
  /** v7+ (MSC2403): the `knock` join rule and knock membership. */
  knockJoinRule: boolean;
  /** v8+ (MSC3083): the `restricted` join rule. */
  restrictedJoinRule: boolean;
  /** v9+ (MSC3375): redaction keeps `join_authorised_via_users_server`. */
  restrictedJoinRuleFix: boolean;
  /** v10+ (MSC3787): the `knock_restricted` join rule. */
  knockRestrictedJoinRule: boolean;
  /** v10+ (MSC3667): power levels must be integers (strings like "50" are refused). */
  enforceIntPowerLevels: boolean;
  /** v12+ (MSC4289): creators (sender and `additional_creators`) outrank every power level. */
  privilegedCreators: boolean;
  /** v12+ (MSC4291): the room id is `!` + the create event's reference hash (no server name). */
  roomIdIsCreateEventHash: boolean;
}

const v1: RoomVersionRules = {
  eventIds: 'server-suffixed',
  specialCaseAliasesAuth: true,
  limitNotificationsPowerLevels: false,
  implicitRoomCreator: false,
  updatedRedactionRules: false,
  knockJoinRule: false,
  restrictedJoinRule: false,
  restrictedJoinRuleFix: false,
  knockRestrictedJoinRule: false,
  enforceIntPowerLevels: false,
  privilegedCreators: false,
  roomIdIsCreateEventHash: false,
};
// v2 changed state resolution only, v5 signing-key validity: neither is observable on one server.
const v2 = v1;
const v3: RoomVersionRules = { ...v2, eventIds: 'reference-hash' };
const v4 = v3;
const v5 = v4;
const v6: RoomVersionRules = { ...v5, specialCaseAliasesAuth: false, limitNotificationsPowerLevels: true };
const v7: RoomVersionRules = { ...v6, knockJoinRule: true };
const v8: RoomVersionRules = { ...v7, restrictedJoinRule: true };
const v9: RoomVersionRules = { ...v8, restrictedJoinRuleFix: true };
const v10: RoomVersionRules = { ...v9, knockRestrictedJoinRule: true, enforceIntPowerLevels: true };
const v11: RoomVersionRules = { ...v10, implicitRoomCreator: true, updatedRedactionRules: true };
// v12 also brings state resolution v2.1 (MSC4297), which one server never needs.
const v12: RoomVersionRules = { ...v11, privilegedCreators: true, roomIdIsCreateEventHash: true };

const ROOM_VERSIONS = {
  '1': v1, '2': v2, '3': v3, '4': v4, '5': v5, '6': v6, '7': v7, '8': v8, '9': v9, '10': v10, '11': v11, '12': v12,
} as const satisfies Record<string, RoomVersionRules>;

export type RoomVersion = keyof typeof ROOM_VERSIONS;
export const SUPPORTED_ROOM_VERSIONS = Object.keys(ROOM_VERSIONS) as [RoomVersion, ...RoomVersion[]];
/** Synapse's default since 1.116. */
export const DEFAULT_ROOM_VERSION: RoomVersion = '11';

export function isSupportedRoomVersion(version: unknown): version is RoomVersion {
  return typeof version === 'string' && Object.hasOwn(ROOM_VERSIONS, version);
}

export function requireRoomVersion(version: unknown): RoomVersion {
  if (isSupportedRoomVersion(version)) return version;
  throw unsupportedRoomVersion(String(version));
}

/** The rules of a room version (an unknown one, which stored rooms never have, reads as the default). */
export function roomVersionRules(version: string): RoomVersionRules {
  return isSupportedRoomVersion(version) ? ROOM_VERSIONS[version] : ROOM_VERSIONS[DEFAULT_ROOM_VERSION];
}

/** Whether a join rule lets members of the rooms it allows join, in this version (`restricted` v8+, `knock_restricted` v10+). */
export function isRestrictedJoinRule(version: RoomVersion, joinRule: string | undefined): boolean {
  const rules = roomVersionRules(version);
  return (joinRule === 'restricted' && rules.restrictedJoinRule) || (joinRule === 'knock_restricted' && rules.knockRestrictedJoinRule);
}

/** Whether a join rule lets users knock, in this version (`knock` v7+, `knock_restricted` v10+). */
export function isKnockJoinRule(version: RoomVersion, joinRule: string | undefined): boolean {
  const rules = roomVersionRules(version);
  return (joinRule === 'knock' && rules.knockJoinRule) || (joinRule === 'knock_restricted' && rules.knockRestrictedJoinRule);
}

/**
 * The `m.room_versions` capability: every version stable, as Synapse lists them. (Synapse dropped
 * MSC3244's `org.matrix.msc3244.room_capabilities` in 1.148 when the MSC was rejected; so does Axon.)
 */
export function roomVersionsCapability(): { default: RoomVersion; available: Record<string, 'stable' | 'unstable'> } {
  return { default: DEFAULT_ROOM_VERSION, available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable'])) };
}
