import { describe, expect, it } from 'vitest';
import { matchesSearchTerm, publicRoomsChunk } from '../../lib/matrix/public-rooms.ts';
import { MapRoomState } from '../../lib/matrix/room-state.ts';
import { validateResponse } from '../support/openapi.ts';

const s = (type: string, content: Record<string, string>) => ({ type, sender: '@a:localhost', state_key: '', content });

describe('public room directory entries', () => {
  const state = new MapRoomState([
    s('m.room.create', { room_version: '11' }), s('m.room.name', { name: 'Lobby' }), s('m.room.topic', { topic: 'Say hi' }),
    s('m.room.canonical_alias', { alias: '#lobby:localhost' }), s('m.room.join_rules', { join_rule: 'public' }),
    s('m.room.history_visibility', { history_visibility: 'world_readable' }), s('m.room.guest_access', { guest_access: 'forbidden' }),
  ]);
  it('reads name, topic, alias, join rule and flags from state', () => {
    const chunk = publicRoomsChunk('!r:localhost', state, 3);
    expect(chunk).toEqual({
      room_id: '!r:localhost', num_joined_members: 3, world_readable: true, guest_can_join: false, name: 'Lobby',
      topic: 'Say hi', canonical_alias: '#lobby:localhost', join_rule: 'public',
    });
    const body = { chunk: [chunk], total_room_count_estimate: 1 };
    expect(validateResponse('GET', '/_matrix/client/v3/publicRooms', 200, body)).toEqual({ ok: true });
  });
  it('filters on a search term', () => {
    const chunk = publicRoomsChunk('!r:localhost', state, 3);
    expect(matchesSearchTerm(chunk, 'LOB')).toBe(true);
    expect(matchesSearchTerm(chunk, 'hi')).toBe(true);
    expect(matchesSearchTerm(chunk, 'nope')).toBe(false);
    expect(matchesSearchTerm(chunk, undefined)).toBe(true);
  });
});
