// Sliding sync requests in both forms clients send normalise to one request (lib/matrix/sliding-sync/request.ts),
// and lists order, filter and window the rooms as MSC4186 says (room-list.ts, room-config.ts).
import { describe, expect, it } from 'vitest';
import type { Membership } from '../../lib/matrix/sync/cut.ts';
import { parseSlidingSyncRequest } from '../../lib/matrix/sliding-sync/request.ts';
import { byActivity, evaluateList, listable } from '../../lib/matrix/sliding-sync/room-list.ts';
import { combineConfigs, configKey, exactKeys, isRequired, wantsLazyMembers } from '../../lib/matrix/sliding-sync/room-config.ts';

const parse = (body: unknown, query = '') => parseSlidingSyncRequest(new URLSearchParams(query), body);

describe('sliding sync request', () => {
  it('reads the older form: pos and timeout in the query, ranges, pairs with *, $LAZY and $ME, is_invite', () => {
    const r = parse(
      { lists: { a: { ranges: [[0, 9], [20, 29]], timeline_limit: 5, required_state: [['*', '*'], ['m.room.member', '$LAZY'], ['m.room.member', '$ME']], filters: { is_invite: true } } } },
      'pos=p&timeout=3000',
    );
    expect(r.pos).toBe('p');
    expect(r.timeoutMs).toBe(3000);
    expect(r.connId).toBe('');
    const list = r.lists.get('a')!;
    expect(list.ranges).toEqual([[0, 9], [20, 29]]);
    expect(list.filters).toEqual({ isInvite: true });
    expect(list.requiredState).toEqual({ include: [{}, { type: 'm.room.member', stateKey: '$ME' }], exclude: [], lazyMembers: true });
  });

  it("reads the MSC's form: pos and timeout in the body, range, include/exclude/lazy_members, is_invited", () => {
    const r = parse({
      conn_id: 'main',
      pos: 'p',
      timeout: 10,
      lists: { a: { range: [0, 4], timeline_limit: 500, required_state: { include: [{}], exclude: [{ type: 'm.room.create', state_key: '' }], lazy_members: true }, filters: { is_invited: false } } },
    });
    expect(r).toMatchObject({ connId: 'main', pos: 'p', timeoutMs: 10 });
    const list = r.lists.get('a')!;
    expect(list.ranges).toEqual([[0, 4]]);
    expect(list.timelineLimit).toBe(100); // capped
    expect(list.filters).toEqual({ isInvite: false });
    const config = combineConfigs([list]);
    expect(isRequired(config, 'm.room.name', '', '@me:x')).toBe(true);
    expect(isRequired(config, 'm.room.create', '', '@me:x')).toBe(false);
    expect(wantsLazyMembers(config)).toBe(true);
    expect(exactKeys(config, '@me:x')).toBeUndefined();
  });

  it('combines configs: the largest timeline_limit, the union of required_state, $ME as the requester', () => {
    const a = { timelineLimit: 1, requiredState: { include: [{ type: 'm.room.name', stateKey: '' }], exclude: [], lazyMembers: false } };
    const b = { timelineLimit: 7, requiredState: { include: [{ type: 'm.room.member', stateKey: '$ME' }], exclude: [], lazyMembers: false } };
    const config = combineConfigs([a, b]);
    expect(config.timelineLimit).toBe(7);
    expect(exactKeys(config, '@me:x')).toEqual([['m.room.name', ''], ['m.room.member', '@me:x']]);
    expect(isRequired(config, 'm.room.member', '@me:x', '@me:x')).toBe(true);
    expect(isRequired(config, 'm.room.member', '@other:x', '@me:x')).toBe(false);
    expect(configKey(combineConfigs([b, a]))).toBe(configKey(config));
  });
});

const member = (roomId: string, bumpStamp: number, membership = 'join', extra: Partial<Membership> = {}): Membership => ({
  roomId, membership, eventId: '$e', position: 1, seq: '1', forgotten: false, lane: '0.0', lastSeq: '1', lastPosition: 1, joinedCount: 1, invitedCount: 0, bumpStamp, ...extra,
});

describe('sliding sync lists', () => {
  it('order by activity, count every match, window by inclusive ranges', () => {
    const rooms = [member('!a', 1), member('!b', 3), member('!c', 2), member('!d', 3)].sort(byActivity);
    expect(rooms.map((m) => m.roomId)).toEqual(['!b', '!d', '!c', '!a']);
    const list = { timelineLimit: 1, requiredState: { include: [], exclude: [], lazyMembers: false }, filters: {} };
    expect(evaluateList({ ...list, ranges: [[1, 2]] }, rooms, new Map())).toEqual({ count: 4, roomIds: ['!d', '!c'] });
    expect(evaluateList({ ...list, ranges: [[3, 10], [0, 0]] }, rooms, new Map())).toEqual({ count: 4, roomIds: ['!b', '!a'] });
    expect(evaluateList(list, rooms, new Map()).roomIds).toHaveLength(4);
    const dm = new Map([['!c', { isDm: true }]]);
    expect(evaluateList({ ...list, filters: { isDm: true } }, rooms, dm)).toEqual({ count: 1, roomIds: ['!c'] });
  });

  it('list joined, invited and knocked rooms; a leave only once, to a connection that had the room otherwise', () => {
    expect(listable(member('!a', 1, 'invite'), undefined)).toBe(true);
    expect(listable(member('!a', 1, 'leave'), undefined)).toBe(false);
    expect(listable(member('!a', 1, 'leave'), 'join')).toBe(true);
    expect(listable(member('!a', 1, 'leave'), 'leave')).toBe(false);
    expect(listable(member('!a', 1, 'join', { forgotten: true }), undefined)).toBe(false);
  });
});
