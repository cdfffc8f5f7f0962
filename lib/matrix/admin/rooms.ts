// Synapse's room admin API (docs/admin_api/rooms.md): list rooms (search, order, pages), a room's
// details, members and state. Rooms are every room created here (localRooms); their details come
// from roomInfo and a few state events, read in batches. Axon is one server without federation:
// every member is local and no room is federatable.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { invalidParam, notFound } from '../errors.ts';
import { isValidRoomId, parseRoomAlias } from '../ids.ts';
import { devices, listedIds, localRooms, roomInfo, roomMembers, roomState } from '../pstates.ts';
import { MapRoomState, historyVisibilityOf, joinRuleOf, stateKeyOf } from '../room-state.ts';
import { booleanParam, choiceParam, nonNegativeInteger, page } from './requests.ts';

const DETAIL_STATE_TYPES = [
  'm.room.create',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.join_rules',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.tombstone',
] as const;

export interface AdminRoom {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string;
  state_events: number;
  room_type: string | null;
}

const stringAt = (state: MapRoomState<RoomEvent>, type: string, key: string): string | null => {
  const value = state.get(type, '')?.content[key];
  return typeof value === 'string' && value !== '' ? value : null;
};

/** The list entries of these rooms (rooms without info are left out), with their topic, avatar and tombstone. */
async function describeRooms(roomIds: readonly string[]): Promise<(AdminRoom & { topic: string | null; avatar: string | null; replacement_room: string | null; tombstoned: boolean })[]> {
  const perRoom = DETAIL_STATE_TYPES.length + 1;
  const out = [];
  for (let i = 0; i < roomIds.length; i += 50) {
    const batch = roomIds.slice(i, i + 50);
    const values = await getMany(batch.flatMap((roomId) => [roomInfo.key(roomId), ...DETAIL_STATE_TYPES.map((t) => roomState.key(roomId).key(stateKeyOf(t, '')))]));
    const counts = await Promise.all(batch.map((roomId) => roomState.key(roomId).count()));
    for (const [j, roomId] of batch.entries()) {
      const [info, ...events] = values.slice(j * perRoom, (j + 1) * perRoom) as [Record<string, unknown> | undefined, ...(RoomEvent | undefined)[]];
      // A purged room is one the server no longer has (lib/matrix/rooms/deletion.ts).
      if (!info || typeof info.version !== 'string' || info.purged === true) continue;
      const state = new MapRoomState<RoomEvent>();
      for (const event of events) if (event) state.set(event);
      const joined = typeof info.joinedCount === 'number' ? info.joinedCount : 0;
      const tombstone = state.get('m.room.tombstone', '');
      out.push({
        room_id: roomId,
        name: stringAt(state, 'm.room.name', 'name'),
        topic: stringAt(state, 'm.room.topic', 'topic'),
        avatar: stringAt(state, 'm.room.avatar', 'url'),
        canonical_alias: stringAt(state, 'm.room.canonical_alias', 'alias'),
        joined_members: joined,
        joined_local_members: joined,
        version: info.version,
        creator: typeof info.creator === 'string' ? info.creator : '',
        encryption: stringAt(state, 'm.room.encryption', 'algorithm'),
        federatable: false,
        public: info.published === true,
        join_rules: joinRuleOf(state) ?? null,
        guest_access: stringAt(state, 'm.room.guest_access', 'guest_access'),
        history_visibility: historyVisibilityOf(state),
        state_events: counts[j] ?? 0,
        room_type: stringAt(state, 'm.room.create', 'type'),
        tombstoned: tombstone !== undefined,
        replacement_room: tombstone ? stringAt(state, 'm.room.tombstone', 'replacement_room') : null,
      });
    }
  }
  return out;
}

const ROOM_ORDERS = [
  'name',
  'alphabetical',
  'size',
  'canonical_alias',
  'joined_members',
  'joined_local_members',
  'version',
  'creator',
  'encryption',
  'federatable',
  'public',
  'join_rules',
  'guest_access',
  'history_visibility',
  'state_events',
] as const;
/** Orders Synapse sorts largest first (`dir=f`). */
const LARGEST_FIRST = new Set(['joined_members', 'joined_local_members', 'version', 'state_events', 'federatable', 'public']);

/** GET /v1/rooms: from, limit, order_by, dir, search_term, public_rooms, empty_rooms. */
export async function listRooms(query: URLSearchParams) {
  const from = nonNegativeInteger(query, 'from', 0);
  const limit = nonNegativeInteger(query, 'limit', 100);
  let orderBy: string = choiceParam(query, 'order_by', ROOM_ORDERS, 'name');
  if (orderBy === 'alphabetical') orderBy = 'name';
  if (orderBy === 'size') orderBy = 'joined_members';
  const dir = choiceParam(query, 'dir', ['f', 'b'] as const, 'f');
  const publicRooms = booleanParam(query, 'public_rooms');
  const emptyRooms = booleanParam(query, 'empty_rooms');
  const term = query.get('search_term');

  const ids = await listedIds(localRooms);
  let rooms = await describeRooms(ids);
  rooms = rooms.filter(
    (r) =>
      (publicRooms === undefined || r.public === publicRooms) &&
      (emptyRooms === undefined || (r.joined_members === 0) === emptyRooms) &&
      (term === null || (r.name ?? '').includes(term) || r.room_id.includes(term) || (r.canonical_alias !== null && (parseRoomAlias(r.canonical_alias)?.localpart ?? '').includes(term))),
  );
  const sign = (LARGEST_FIRST.has(orderBy) ? -1 : 1) * (dir === 'b' ? -1 : 1);
  rooms.sort((a, b) => {
    const x = (a as unknown as Record<string, unknown>)[orderBy];
    const y = (b as unknown as Record<string, unknown>)[orderBy];
    const c = x === y ? 0 : x === null ? 1 : y === null ? -1 : (x as string | number) < (y as string | number) ? -1 : 1;
    return c !== 0 ? sign * c : a.room_id < b.room_id ? -1 : 1;
  });
  const { items, next } = page(rooms, from, limit);
  const entries = items.map((r) => {
    const { topic: _t, avatar: _a, tombstoned: _s, replacement_room: _r, ...entry } = r;
    return entry;
  });
  return {
    rooms: entries,
    offset: from,
    total_rooms: rooms.length,
    ...(next !== undefined ? { next_batch: next } : {}),
    ...(from > 0 ? { prev_batch: Math.max(0, from - limit) } : {}),
  };
}

function checkRoomId(roomId: string): void {
  if (!isValidRoomId(roomId)) throw invalidParam(`${roomId} is not a legal room ID`);
}

async function existingRoom(roomId: string) {
  checkRoomId(roomId);
  const [room] = await describeRooms([roomId]);
  if (!room) throw notFound('Room not found');
  return room;
}

async function joinedMembers(roomId: string): Promise<string[]> {
  return (await roomMembers.key(roomId).entries({ limit: 1000 })).filter(([, m]) => m.membership === 'join').map(([userId]) => userId as string);
}

/** GET /v1/rooms/{roomId}: every member is local, so local devices are all their devices. */
export async function roomDetails(roomId: string) {
  const room = await existingRoom(roomId);
  const counts = await Promise.all((await joinedMembers(roomId)).map((userId) => devices.key(userId).count()));
  return { ...room, joined_local_devices: counts.reduce((a, b) => a + b, 0), forgotten: false };
}

/** GET /v1/rooms/{roomId}/members: the users joined now. */
export async function roomMemberList(roomId: string) {
  await existingRoom(roomId);
  const members = await joinedMembers(roomId);
  return { members, total: members.length };
}

/** GET /v1/rooms/{roomId}/state: the current state events, optionally of one `type`. */
export async function roomStateEvents(roomId: string, query: URLSearchParams) {
  await existingRoom(roomId);
  const type = query.get('type');
  const events = (await roomState.key(roomId).entries({ limit: 1000 })).map(([, event]) => event as RoomEvent);
  return { state: type === null ? events : events.filter((e) => e.type === type) };
}
