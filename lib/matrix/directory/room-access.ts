// What the directory needs to know about a room and a user in it: whether the room exists, the
// user's membership, their power against what it takes to send m.room.canonical_alias (Synapse's
// rule for changing the directory), and whether the room's history is world-readable.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { powerLevelsOf, requiredLevel, userLevel } from '../power-levels.ts';
import { roomInfo, roomState } from '../pstates.ts';
import { historyVisibilityOf, MapRoomState, membershipOf, stateKeyOf } from '../room-state.ts';
import type { RoomVersion } from '../room-versions.ts';

export interface RoomAccess {
  exists: boolean;
  joined: boolean;
  /** The user may change the room's directory entries (aliases of others, visibility). */
  canEditDirectory: boolean;
  worldReadable: boolean;
}

export async function roomAccess(roomId: string, userId: string, consistent = false): Promise<RoomAccess> {
  const keys = [
    stateKeyOf('m.room.create', ''),
    stateKeyOf('m.room.power_levels', ''),
    stateKeyOf('m.room.history_visibility', ''),
    stateKeyOf('m.room.member', userId),
  ];
  const [info, ...events] = await getMany([roomInfo.key(roomId), ...keys.map((k) => roomState.key(roomId).key(k))], { consistent });
  if (!info?.version) return { exists: false, joined: false, canEditDirectory: false, worldReadable: false };
  const state = new MapRoomState<RoomEvent>();
  for (const event of events) if (event) state.set(event as RoomEvent);
  const joined = membershipOf(state, userId) === 'join';
  const levels = powerLevelsOf(state, info.version as RoomVersion);
  return {
    exists: true,
    joined,
    canEditDirectory: joined && userLevel(levels, userId) >= requiredLevel(levels, 'm.room.canonical_alias', true),
    worldReadable: historyVisibilityOf(state) === 'world_readable',
  };
}
