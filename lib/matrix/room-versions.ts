// The room versions Axon serves. Both use reference-hash event ids; they differ in the
// redaction algorithm and in how the creator is named (v11 drops `creator` from m.room.create).
import { unsupportedRoomVersion } from './errors.ts';

export const SUPPORTED_ROOM_VERSIONS = ['10', '11'] as const;
export type RoomVersion = (typeof SUPPORTED_ROOM_VERSIONS)[number];
export const DEFAULT_ROOM_VERSION: RoomVersion = '11';

export function isSupportedRoomVersion(version: unknown): version is RoomVersion {
  return typeof version === 'string' && (SUPPORTED_ROOM_VERSIONS as readonly string[]).includes(version);
}

export function requireRoomVersion(version: unknown): RoomVersion {
  if (isSupportedRoomVersion(version)) return version;
  throw unsupportedRoomVersion(String(version));
}

/** The `m.room_versions` capability. */
export function roomVersionsCapability(): { default: RoomVersion; available: Record<string, 'stable' | 'unstable'> } {
  return { default: DEFAULT_ROOM_VERSION, available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable'])) };
}
