// A room's summary as GET /room_summary and the space hierarchy give it, read from roomInfo and a
// few current state events, with whether the requester may see it (lib/matrix/spaces/rules.ts).
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { invalidParam, notFound } from '../errors.ts';
import { parseRoomAlias } from '../ids.ts';
import { PUBLIC_ROOM_STATE_TYPES, publicRoomsChunk, type PublicRoomsChunk } from '../public-rooms.ts';
import { memberRooms, roomAliases, roomInfo, roomState } from '../pstates.ts';
import { historyVisibilityOf, joinRuleOf, MapRoomState, stateKeyOf } from '../room-state.ts';
import { allowedRoomIds, isAccessible } from './rules.ts';

const SUMMARY_STATE_TYPES = [...PUBLIC_ROOM_STATE_TYPES, 'm.room.encryption'];

/** The only algorithm the spec's summary names. */
const MEGOLM = 'm.megolm.v1.aes-sha2';

export interface RoomSummaryChunk extends PublicRoomsChunk {
  room_version: string;
  encryption?: string;
  allowed_room_ids?: string[];
}

export interface LocalRoom {
  summary: RoomSummaryChunk;
  /** The requester's membership (undefined when none or anonymous). */
  membership: string | undefined;
  accessible: boolean;
}

/** The room as `userId` (or an anonymous requester) sees it, undefined when no such room exists here. */
export async function readLocalRoom(roomId: string, userId: string | undefined): Promise<LocalRoom | undefined> {
  const paths = [roomInfo.key(roomId), ...SUMMARY_STATE_TYPES.map((t) => roomState.key(roomId).key(stateKeyOf(t, '')))] as const;
  const [info, ...events] = await getMany([...paths, ...(userId ? [memberRooms.key(userId).key(roomId)] : [])]);
  if (!info || typeof info !== 'object' || !('version' in info)) return undefined;
  const membership = userId ? (events.pop() as { membership?: string } | undefined)?.membership : undefined;
  const state = new MapRoomState<RoomEvent>();
  for (const event of events) if (event) state.set(event as RoomEvent);
  const roomInfoValue = info as { version?: string; joinedCount?: number };
  const joinRule = joinRuleOf(state);
  const allowed = joinRule === 'restricted' || joinRule === 'knock_restricted' ? allowedRoomIds(state.get('m.room.join_rules', '')) : [];
  const summary: RoomSummaryChunk = { ...publicRoomsChunk(roomId, state, roomInfoValue.joinedCount ?? 0), room_version: roomInfoValue.version ?? '11' };
  if (state.get('m.room.encryption', '')?.content.algorithm === MEGOLM) summary.encryption = MEGOLM;
  if (allowed.length > 0) summary.allowed_room_ids = allowed;
  const meetsRestriction = userId !== undefined && allowed.length > 0 && (await joinedToAny(userId, allowed));
  const accessible = isAccessible({ joinRule, historyVisibility: historyVisibilityOf(state), membership, meetsRestriction });
  return { summary, membership, accessible };
}

async function joinedToAny(userId: string, roomIds: readonly string[]): Promise<boolean> {
  const memberships = await getMany(roomIds.slice(0, 50).map((roomId) => memberRooms.key(userId).key(roomId)));
  return memberships.some((m) => (m as { membership?: string } | undefined)?.membership === 'join');
}

/** A room id, or the room a local alias points at; 404 for an unknown alias. */
export async function resolveRoom(roomIdOrAlias: string): Promise<string> {
  if (roomIdOrAlias.startsWith('!')) return roomIdOrAlias;
  if (!roomIdOrAlias.startsWith('#') || !parseRoomAlias(roomIdOrAlias)) throw invalidParam(`${roomIdOrAlias} is not a room id or alias`);
  const alias = await roomAliases.key(roomIdOrAlias).get();
  if (!alias?.roomId) throw notFound(`Room alias ${roomIdOrAlias} not found`);
  return alias.roomId;
}

/**
 * GET /room_summary/{roomIdOrAlias}: the summary, with the requester's membership (`leave` when
 * none) if authenticated. A room the requester may not see is as unknown as a missing one (404).
 */
export async function roomSummaryFor(roomIdOrAlias: string, userId: string | undefined): Promise<RoomSummaryChunk & { membership?: string }> {
  const roomId = await resolveRoom(roomIdOrAlias);
  const room = await readLocalRoom(roomId, userId);
  if (!room?.accessible) throw notFound('Room not found or is not accessible');
  return userId ? { ...room.summary, membership: room.membership ?? 'leave' } : room.summary;
}
