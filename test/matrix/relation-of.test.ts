// Which events the rooms topology indexes as relations: only well-formed m.relates_to on non-state events.
import { describe, expect, it } from 'vitest';
import { relationOf } from '../../lib/matrix/relations/index-writes.ts';

describe('relationOf', () => {
  it('reads rel_type and event_id', () => {
    expect(relationOf({ content: { 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } } })).toEqual({ relType: 'm.thread', parentId: '$root' });
  });

  it('ignores state events, replies without rel_type and malformed relations', () => {
    expect(relationOf({ state_key: '', content: { 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } } })).toBeUndefined();
    expect(relationOf({ content: { 'm.relates_to': { 'm.in_reply_to': { event_id: '$x' } } } })).toBeUndefined();
    expect(relationOf({ content: { 'm.relates_to': { rel_type: 'm.thread', event_id: 5 } } })).toBeUndefined();
    expect(relationOf({ content: { 'm.relates_to': ['m.thread', '$root'] } })).toBeUndefined();
    expect(relationOf({ content: { 'm.relates_to': { rel_type: '', event_id: '$root' } } })).toBeUndefined();
    expect(relationOf({ content: {} })).toBeUndefined();
  });
});
