// Entries of the published room directory (GET/POST /publicRooms) built from a room's state.
import { historyVisibilityOf, joinRuleOf, type RoomState } from './room-state.ts';

/** The state a directory chunk is built from (publicRoomsChunk reads nothing else). */
export const PUBLIC_ROOM_STATE_TYPES = [
  'm.room.create',
  'm.room.name',
  'm.room.topic',
  'm.room.canonical_alias',
  'm.room.avatar',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
] as const;

export interface PublicRoomsChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
}

const stringAt = (state: RoomState, type: string, key: string): string | undefined => {
  const value = state.get(type, '')?.content[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

export function publicRoomsChunk(roomId: string, state: RoomState, joinedMembers: number): PublicRoomsChunk {
  const chunk: PublicRoomsChunk = {
    room_id: roomId,
    num_joined_members: joinedMembers,
    world_readable: historyVisibilityOf(state) === 'world_readable',
    guest_can_join: stringAt(state, 'm.room.guest_access', 'guest_access') === 'can_join',
  };
  const optional: [keyof PublicRoomsChunk, string | undefined][] = [
    ['name', stringAt(state, 'm.room.name', 'name')],
    ['topic', stringAt(state, 'm.room.topic', 'topic')],
    ['canonical_alias', stringAt(state, 'm.room.canonical_alias', 'alias')],
    ['avatar_url', stringAt(state, 'm.room.avatar', 'url')],
    ['join_rule', joinRuleOf(state)],
    ['room_type', stringAt(state, 'm.room.create', 'type')],
  ];
  for (const [key, value] of optional) if (value !== undefined) (chunk as unknown as Record<string, unknown>)[key] = value;
  return chunk;
}

/** The `filter.generic_search_term` of POST /publicRooms: case-insensitive match on name, topic or alias. */
export function matchesSearchTerm(chunk: PublicRoomsChunk, term: string | undefined): boolean {
  if (!term) return true;
  const needle = term.toLowerCase();
  return [chunk.name, chunk.topic, chunk.canonical_alias].some((v) => v?.toLowerCase().includes(needle));
}
