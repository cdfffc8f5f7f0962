// The pure parts of restricted joins: which rooms a join rule allows, and whom the server asks to
// authorise a join (highest power first, only those who may invite).
import { describe, expect, it } from 'vitest';
import { joinAuthoriserCandidates, restrictedAllowRooms } from '../../lib/matrix/membership.ts';
import { isRestrictedJoinRule } from '../../lib/matrix/room-versions.ts';
import { parsePowerLevels } from '../../lib/matrix/power-levels.ts';

describe('restricted join rules', () => {
  it('knows the restricted rules, each from the room version that brought it', () => {
    expect(['restricted', 'knock_restricted'].every((rule) => isRestrictedJoinRule('10', rule))).toBe(true);
    expect(['public', 'invite', 'knock', undefined].some((rule) => isRestrictedJoinRule('11', rule))).toBe(false);
    expect(isRestrictedJoinRule('8', 'restricted')).toBe(true);
    expect(isRestrictedJoinRule('9', 'knock_restricted')).toBe(false);
    expect(isRestrictedJoinRule('7', 'restricted')).toBe(false);
  });
  it('reads the m.room_membership rooms of `allow`, ignoring other and malformed entries', () => {
    expect(restrictedAllowRooms({
      join_rule: 'restricted',
      allow: [{ type: 'm.room_membership', room_id: '!a:localhost' }, { type: 'm.other', room_id: '!b:localhost' }, 'x', { type: 'm.room_membership' }, { type: 'm.room_membership', room_id: '!c:localhost' }],
    })).toEqual(['!a:localhost', '!c:localhost']);
    expect(restrictedAllowRooms({ join_rule: 'restricted' })).toEqual([]);
    expect(restrictedAllowRooms({ join_rule: 'restricted', allow: {} })).toEqual([]);
    expect(restrictedAllowRooms(undefined)).toEqual([]);
  });
  it('lists the users who may invite, highest level first', () => {
    const levels = parsePowerLevels({ invite: 50, users: { '@low:l': 10, '@mod:l': 50, '@op:l': 100, '@b:l': 50 } });
    expect(joinAuthoriserCandidates(levels)).toEqual(['@op:l', '@b:l', '@mod:l']);
    expect(joinAuthoriserCandidates(parsePowerLevels({ invite: 101, users: { '@op:l': 100 } }))).toEqual([]);
  });
});
