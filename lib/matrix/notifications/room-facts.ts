// What the push rules need to know about a room, read once per record and shared by all members'
// evaluations: the joined members (with display names), the member count and the power levels.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import type { RoomPushFacts } from '../notification-counts.ts';
import { powerLevelsOf } from '../power-levels.ts';
import { pushRules, roomInfo, roomMembers, roomState } from '../pstates.ts';
import { MapRoomState, stateKeyOf } from '../room-state.ts';
import { DEFAULT_ROOM_VERSION, isSupportedRoomVersion } from '../room-versions.ts';
import { defaultPushRules, type PushRuleset } from '../push-rules.ts';
import { mergeWithDefaults } from '../user-data/push-rules.ts';

export interface RoomPushSetting {
  /** The joined members: whose counts an event may change. */
  members: string[];
  facts: RoomPushFacts;
}

const MEMBERS_PAGE = 500;

/** The joined members and the facts the push rules read (consistent reads: the topology just wrote them). */
export async function loadRoomPushSetting(roomId: string): Promise<RoomPushSetting> {
  const members = async () => {
    const displayNames = new Map<string, string | undefined>();
    let cursor: string | undefined;
    do {
      const page = await roomMembers.key(roomId).range({ limit: MEMBERS_PAGE, consistent: true, ...(cursor ? { cursor } : {}) });
      for (const [userId, member] of page.entries) {
        if (member.membership === 'join') displayNames.set(userId, member.displayname);
      }
      cursor = page.cursor;
    } while (cursor);
    return displayNames;
  };
  const [displayNames, [info, create, levels]] = await Promise.all([
    members(),
    getMany(
      [roomInfo.key(roomId), roomState.key(roomId).key(stateKeyOf('m.room.create', '')), roomState.key(roomId).key(stateKeyOf('m.room.power_levels', ''))],
      { consistent: true },
    ),
  ]);
  const version = isSupportedRoomVersion(info?.version) ? info.version : DEFAULT_ROOM_VERSION;
  const state = new MapRoomState<RoomEvent>([create, levels].filter((e): e is RoomEvent => e !== undefined));
  return {
    members: [...displayNames.keys()],
    facts: { memberCount: displayNames.size, powerLevels: powerLevelsOf(state, version), displayNames },
  };
}

/**
 * The facts for one member's evaluations (a receipt's recount): the member count from the room's
 * info and the member's own display name, without reading every member.
 */
export async function loadMemberPushFacts(roomId: string, userId: string): Promise<RoomPushFacts> {
  const [info, member, create, levels] = await getMany(
    [
      roomInfo.key(roomId),
      roomMembers.key(roomId).key(userId),
      roomState.key(roomId).key(stateKeyOf('m.room.create', '')),
      roomState.key(roomId).key(stateKeyOf('m.room.power_levels', '')),
    ],
    { consistent: true },
  );
  const version = isSupportedRoomVersion(info?.version) ? info.version : DEFAULT_ROOM_VERSION;
  const state = new MapRoomState<RoomEvent>([create, levels].filter((e): e is RoomEvent => e !== undefined));
  return {
    memberCount: info?.joinedCount ?? 0,
    powerLevels: powerLevelsOf(state, version),
    displayNames: new Map([[userId, member?.displayname]]),
  };
}

/** Each user's effective ruleset (stored rules merged with today's defaults), in one batched read. */
export async function loadPushRulesets(userIds: readonly string[]): Promise<Map<string, PushRuleset>> {
  const out = new Map<string, PushRuleset>();
  if (userIds.length === 0) return out;
  const stored = await getMany(userIds.map((u) => pushRules.key(u)), { consistent: true });
  userIds.forEach((userId, i) => {
    const defaults = defaultPushRules(userId);
    const ruleset = stored[i] as PushRuleset | undefined;
    out.set(userId, ruleset ? mergeWithDefaults(ruleset, defaults) : defaults);
  });
  return out;
}
