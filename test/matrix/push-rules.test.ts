import { describe, expect, it } from 'vitest';
import type { MatrixError } from '../../lib/matrix/errors.ts';
import {
  defaultPushRules, deletePushRule, getPushRule, putPushRule, setPushRuleActions, setPushRuleEnabled,
} from '../../lib/matrix/push-rules.ts';

const user = '@alice:localhost';
const errcode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as MatrixError).errcode;
  }
  return undefined;
};
const ids = (rules: { rule_id: string }[]) => rules.map((r) => r.rule_id);

describe('default push rules', () => {
  it('holds the spec’s predefined rules in order', () => {
    const rules = defaultPushRules(user);
    expect(ids(rules.override)).toEqual([
      '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event',
      '.m.rule.is_user_mention', '.m.rule.is_room_mention',
      '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
    ]);
    expect(ids(rules.underride)).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    expect(rules.content).toEqual([]); // legacy mention rules are gone since Matrix 1.17
    expect(rules.override[0]).toMatchObject({ enabled: false, actions: [], conditions: [] });
    expect(getPushRule(rules, 'override', '.m.rule.invite_for_me').conditions).toContainEqual({ kind: 'event_match', key: 'state_key', pattern: user });
    expect([...rules.override, ...rules.underride, ...rules.content].every((r) => r.default)).toBe(true);
  });
});

describe('editing a ruleset', () => {
  const base = defaultPushRules(user);
  it('adds a user rule as the most important user rule (after master in override)', () => {
    const a = putPushRule(base, 'override', 'a', { actions: ['notify'], conditions: [] });
    const b = putPushRule(a, 'override', 'b', { actions: ['notify'] });
    expect(ids(b.override).slice(0, 3)).toEqual(['.m.rule.master', 'b', 'a']);
    const c = putPushRule(b, 'override', 'c', { actions: [] }, { after: 'a' });
    expect(ids(c.override).slice(0, 4)).toEqual(['.m.rule.master', 'b', 'a', 'c']);
    const d = putPushRule(c, 'override', 'c', { actions: ['notify'] }, { before: 'b' });
    expect(ids(d.override).slice(0, 4)).toEqual(['.m.rule.master', 'c', 'b', 'a']);
    expect(getPushRule(d, 'override', 'c')).toEqual({ rule_id: 'c', default: false, enabled: true, actions: ['notify'], conditions: [] });
    expect(base.override).toHaveLength(10); // pure: the input is unchanged
  });
  it('handles content, room and sender rules', () => {
    const r = putPushRule(base, 'content', 'kw', { actions: ['notify'], pattern: 'cake' });
    expect(r.content[0]).toEqual({ rule_id: 'kw', default: false, enabled: true, actions: ['notify'], pattern: 'cake' });
    expect(errcode(() => putPushRule(base, 'content', 'kw', { actions: [] }))).toBe('M_MISSING_PARAM');
    const room = putPushRule(base, 'room', '!r:localhost', { actions: ['dont_notify'] });
    expect(room.room).toEqual([{ rule_id: '!r:localhost', default: false, enabled: true, actions: ['dont_notify'] }]);
  });
  it('refuses reserved ids, unknown kinds, bad actions and missing anchors', () => {
    expect(errcode(() => putPushRule(base, 'override', '.m.rule.mine', { actions: [] }))).toBe('M_INVALID_PARAM');
    expect(errcode(() => putPushRule(base, 'global', 'x', { actions: [] }))).toBe('M_INVALID_PARAM');
    expect(errcode(() => putPushRule(base, 'override', 'x', { actions: ['explode'] }))).toBe('M_INVALID_PARAM');
    expect(errcode(() => putPushRule(base, 'override', 'x', { actions: [] }, { before: 'nope' }))).toBe('M_NOT_FOUND');
    expect(errcode(() => putPushRule(base, 'override', 'x', { actions: [] }, { after: '.m.rule.master' }))).toBe('M_INVALID_PARAM');
  });
  it('deletes user rules only, and toggles enabled and actions of any rule', () => {
    const a = putPushRule(base, 'underride', 'u', { actions: ['notify'] });
    expect(ids(deletePushRule(a, 'underride', 'u').underride)).toEqual(ids(base.underride));
    expect(errcode(() => deletePushRule(a, 'underride', '.m.rule.message'))).toBe('M_INVALID_PARAM');
    expect(errcode(() => deletePushRule(a, 'underride', 'missing'))).toBe('M_NOT_FOUND');
    const enabled = setPushRuleEnabled(base, 'override', '.m.rule.master', true);
    expect(getPushRule(enabled, 'override', '.m.rule.master').enabled).toBe(true);
    const muted = setPushRuleActions(base, 'underride', '.m.rule.message', ['dont_notify']);
    expect(getPushRule(muted, 'underride', '.m.rule.message').actions).toEqual(['dont_notify']);
    expect(errcode(() => setPushRuleEnabled(base, 'override', '.m.rule.master', 'yes'))).toBe('M_MISSING_PARAM');
    expect(errcode(() => getPushRule(base, 'override', 'nope'))).toBe('M_NOT_FOUND');
  });
});
