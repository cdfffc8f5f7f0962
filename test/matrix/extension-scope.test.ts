// The reserved `lists`/`rooms` keys of room-scoped sliding sync extensions (MSC3575, Synapse's
// find_relevant_room_ids_for_extension): which rooms of a response each covers, and stickiness.
import { describe, expect, it } from 'vitest';
import { coveredToKeep, previouslyCovered, scopedRooms, stickyScopes } from '../../lib/matrix/sliding-sync/extension-scope.ts';

const windows = new Map([
  ['dms', ['!d1', '!d2']],
  ['rooms', ['!r1']],
]);
const subscribed = new Set(['!s1', '!s2']);
const sorted = (s: Set<string>) => [...s].sort();

describe('extension scope', () => {
  it('covers every window and subscription by default', () => {
    expect(sorted(scopedRooms(undefined, windows, subscribed))).toEqual(['!d1', '!d2', '!r1', '!s1', '!s2']);
  });

  it('covers the named lists and subscribed rooms only, and nothing for empty or null keys', () => {
    expect(sorted(scopedRooms({ lists: ['dms', 'unknown'], rooms: ['!s2', '!not-subscribed'] }, windows, subscribed))).toEqual(['!d1', '!d2', '!s2']);
    expect(sorted(scopedRooms({ lists: [], rooms: ['*'] }, windows, subscribed))).toEqual(['!s1', '!s2']);
    expect(sorted(scopedRooms({ lists: null, rooms: null }, windows, subscribed))).toEqual([]);
  });

  it('keeps the scope a request leaves out, and forgets the default one', () => {
    const first = stickyScopes(undefined, { receipts: { lists: ['dms'] } });
    expect(first).toEqual({ receipts: { lists: ['dms'], rooms: ['*'] } });
    expect(stickyScopes(first, {})).toEqual(first);
    expect(stickyScopes(first, { receipts: { rooms: [] } })).toEqual({ receipts: { lists: ['dms'], rooms: [] } });
    expect(stickyScopes(first, { receipts: { lists: ['*'] } })).toEqual({});
  });

  it("knows what each extension covered last time: what a narrowed scope recorded, else every room the connection had, nothing when off", () => {
    const rooms = { '!a': {}, '!b': {} };
    const before = previouslyCovered({ ext: ['receipts', 'typing'], rooms, covered: { receipts: ['!a'] } });
    expect(sorted(new Set(before.receipts))).toEqual(['!a']);
    expect(sorted(new Set(before.typing))).toEqual(['!a', '!b']);
    expect(sorted(new Set(before.account_data))).toEqual([]);
    // Kept only for enabled extensions with a narrowed scope, and only joined rooms of this response.
    const scope = { receipts: new Set(['!a', '!invite']), typing: new Set(['!a', '!b']), account_data: new Set(['!b']) };
    expect(coveredToKeep({ receipts: { lists: ['dms'], rooms: [] }, account_data: { lists: [], rooms: ['*'] } }, ['receipts', 'typing'], scope, ['!a', '!b'])).toEqual({ receipts: ['!a'] });
  });
});
