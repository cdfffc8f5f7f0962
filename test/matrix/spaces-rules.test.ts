import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import { allowedRoomIds, compareChildren, isAccessible, isValidChild } from '../../lib/matrix/spaces/rules.ts';

const child = (stateKey: string, content: Record<string, unknown>, ts = 1): RoomEvent =>
  ({ type: 'm.space.child', state_key: stateKey, content, sender: '@a:x', origin_server_ts: ts, event_id: `$${stateKey}`, room_id: '!s:x', depth: 1 }) as unknown as RoomEvent;

describe('space rules', () => {
  it('orders children by valid order, then timestamp, then room id', () => {
    const events = [child('!d:x', {}, 5), child('!c:x', { order: 'b' }), child('!b:x', { order: 'a' }), child('!a:x', {}, 5), child('!e:x', { order: '\u0001bad' }, 1)];
    expect([...events].sort(compareChildren).map((e) => e.state_key)).toEqual(['!b:x', '!c:x', '!e:x', '!a:x', '!d:x']);
  });

  it('counts only children with a non-empty via', () => {
    expect(isValidChild(child('!a:x', { via: ['x'] }))).toBe(true);
    expect(isValidChild(child('!a:x', { via: [] }))).toBe(false);
    expect(isValidChild(child('!a:x', {}))).toBe(false);
  });

  it('lets members, invitees and anyone for public, knockable or world-readable rooms see a room', () => {
    const base = { joinRule: 'invite', historyVisibility: 'shared', membership: undefined, meetsRestriction: false };
    expect(isAccessible(base)).toBe(false);
    expect(isAccessible({ ...base, membership: 'invite' })).toBe(true);
    expect(isAccessible({ ...base, joinRule: 'knock' })).toBe(true);
    expect(isAccessible({ ...base, historyVisibility: 'world_readable' })).toBe(true);
    expect(isAccessible({ ...base, joinRule: 'restricted', meetsRestriction: true })).toBe(true);
    expect(isAccessible({ ...base, joinRule: 'public', membership: 'ban' })).toBe(false);
  });

  it('reads the allowed rooms of a restricted join rule', () => {
    const rules = { content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!p:x' }, { type: 'other' }] } } as unknown as RoomEvent;
    expect(allowedRoomIds(rules)).toEqual(['!p:x']);
  });
});
