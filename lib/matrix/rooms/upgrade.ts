// POST /rooms/{roomId}/upgrade: check the upgrader may send the tombstone, plan the replacement
// room from the old room's state (lib/matrix/room-upgrade.ts), create it through the rooms depot,
// then send the old room's tombstone (tombstone.ts). Two commands on two rooms: a crash between
// them leaves a replacement nobody is sent to, which the upgrader can simply upgrade again.
import { z } from 'zod';
import { getMany } from '../../core/pstate/index.ts';
import type { Requester } from '../accounts/authenticate.ts';
import { additionalCreatorsProblem, assertAllowed, authorizeEvent } from '../auth-rules.ts';
import { badJson, notFound } from '../errors.ts';
import type { RoomEvent } from '../events.ts';
import { generateRoomId } from '../ids.ts';
import { roomInfo, roomMembers, roomState } from '../pstates.ts';
import { limitWrites } from '../rate-limits.ts';
import { parseRequestBody } from '../request-schemas.ts';
import { MapRoomState, stateKeyOf } from '../room-state.ts';
import { planUpgradedRoom, TRANSFERRED_STATE_TYPES, tombstoneContent } from '../room-upgrade.ts';
import { requireRoomVersion, type RoomVersion } from '../room-versions.ts';
import { profileOf, requireRoomId, submitRoomCommand } from './operations.ts';

const upgradeRequest = z.looseObject({ new_version: z.string(), additional_creators: z.unknown().optional() });

/** A space's children copied into the replacement (bounded like the bans). */
const MAX_SPACE_CHILDREN = 200;

async function spaceChildrenOf(roomId: string): Promise<RoomEvent[]> {
  // Every key `m.space.child\0<room id>`: from the empty state key up to the next type byte.
  const page = await roomState.key(roomId).range({
    from: stateKeyOf('m.space.child', ''),
    to: 'm.space.child\u0001',
    limit: MAX_SPACE_CHILDREN,
    consistent: true,
  });
  return page.entries.map(([, event]) => event as RoomEvent);
}

/** Bans copied into the replacement (members listed per page: a bounded scan, as createRoom parts are). */
const MEMBER_SCAN = 1000;

export async function upgradeRoom(requester: Requester, body: unknown, roomId: string): Promise<{ replacement_room: string }> {
  await limitWrites(requester);
  const { new_version, additional_creators } = parseRequestBody(upgradeRequest, body);
  const version: RoomVersion = requireRoomVersion(new_version);
  requireRoomId(roomId);
  if (additional_creators !== undefined) {
    const problem = additionalCreatorsProblem(additional_creators);
    if (problem) throw badJson(problem);
  }

  const info = await roomInfo.key(roomId).get({ consistent: true });
  if (!info?.version || info.lastPosition === undefined) throw notFound('Unknown room');
  const types = ['m.room.create', 'm.room.power_levels', ...TRANSFERRED_STATE_TYPES];
  const keys = [...types.map((t) => stateKeyOf(t, '')), stateKeyOf('m.room.member', requester.userId)];
  const events = await getMany(keys.map((k) => roomState.key(roomId).key(k)), { consistent: true });
  const state = new MapRoomState<RoomEvent>(events.filter((e): e is RoomEvent => e !== undefined) as RoomEvent[]);
  // The upgrader must be able to send the tombstone (joined, with its power level): 403 otherwise.
  const canTombstone = (replacement: string) => assertAllowed(authorizeEvent(
    { type: 'm.room.tombstone', state_key: '', sender: requester.userId, content: tombstoneContent(replacement), room_id: roomId },
    state,
    info.version as RoomVersion,
  ));
  canTombstone(generateRoomId());

  const members = await roomMembers.key(roomId).range({ limit: MEMBER_SCAN, consistent: true });
  const banned = members.entries.filter(([, m]) => m.membership === 'ban').map(([id]) => id);
  const spaceChildren = state.get('m.room.create', '')?.content.type === 'm.space' ? await spaceChildrenOf(roomId) : [];
  const profile = await profileOf(requester.userId);
  const { roomId: replacement, events: planned } = planUpgradedRoom(
    { oldRoomId: roomId, lastEventId: info.lastEventId ?? '', state, banned, spaceChildren },
    {
      newRoomId: generateRoomId(), now: Date.now(), version, upgrader: requester.userId,
      ...(profile ? { profile } : {}),
      ...(additional_creators !== undefined ? { additionalCreators: additional_creators as string[] } : {}),
    },
  );
  await submitRoomCommand({ kind: 'createRoom', roomId: replacement, creator: requester.userId, roomVersion: version, visibility: 'private', events: planned });
  await submitRoomCommand({ kind: 'tombstone', roomId, sender: requester.userId, replacementRoom: replacement });
  return { replacement_room: replacement };
}
