import { describe, expect, it } from 'vitest';
import { evaluatePushRules, globMatches, highlights, notifies, type PushContext } from '../../lib/matrix/push-evaluator.ts';
import { defaultPushRules, putPushRule, setPushRuleEnabled } from '../../lib/matrix/push-rules.ts';

const me = '@alice:localhost';
const rules = defaultPushRules(me);
const context: PushContext = { userId: me, displayName: 'Alice Liddell', memberCount: 3, senderPowerLevel: 0, notificationLevels: { room: 50 } };
const message = (body: string, extra: Record<string, unknown> = {}) => ({
  type: 'm.room.message', sender: '@bob:localhost', room_id: '!r:localhost', content: { msgtype: 'm.text', body, ...extra },
});
const outcome = (event: Parameters<typeof evaluatePushRules>[1], ctx = context, set = rules) => {
  const actions = evaluatePushRules(set, event, ctx);
  return { notify: notifies(actions), highlight: highlights(actions) };
};

describe('push rule evaluation with the default rules', () => {
  it('notifies plain messages in group rooms, without highlight', () => {
    expect(outcome(message('hello'))).toEqual({ notify: true, highlight: false });
  });
  it('highlights intentional mentions only (no legacy body matching since Matrix 1.17)', () => {
    expect(outcome(message('hi', { 'm.mentions': { user_ids: [me] } }))).toEqual({ notify: true, highlight: true });
    expect(outcome(message('hi', { 'm.mentions': { user_ids: ['@bob:localhost'] } }))).toEqual({ notify: true, highlight: false });
    expect(outcome(message('ping alice liddell!'))).toEqual({ notify: true, highlight: false });
  });
  it('matches user keyword rules on whole words of the body, and display names with contains_display_name', () => {
    const keywords = putPushRule(rules, 'content', 'cake', { actions: ['notify', { set_tweak: 'highlight' }], pattern: 'cake' });
    expect(outcome(message('any CAKE left?'), context, keywords)).toEqual({ notify: true, highlight: true });
    expect(outcome(message('pancakes'), context, keywords)).toEqual({ notify: true, highlight: false });
    const byName = putPushRule(rules, 'override', 'name', { actions: ['notify', { set_tweak: 'highlight' }], conditions: [{ kind: 'contains_display_name' }] });
    expect(outcome(message('ping alice liddell!'), context, byName)).toEqual({ notify: true, highlight: true });
    expect(outcome(message('alice'), context, byName)).toEqual({ notify: true, highlight: false });
  });
  it('highlights @room only from senders with the notifications level', () => {
    expect(outcome(message('@room hi', { 'm.mentions': { room: true } }))).toEqual({ notify: true, highlight: false });
    expect(outcome(message('@room hi', { 'm.mentions': { room: true } }), { ...context, senderPowerLevel: 50 })).toEqual({ notify: true, highlight: true });
  });
  it('silences notices, edits, reactions, other members’ membership and one’s own events', () => {
    expect(outcome(message('bot', { msgtype: 'm.notice' })).notify).toBe(false);
    expect(outcome(message('* fix', { 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } })).notify).toBe(false);
    expect(outcome({ type: 'm.reaction', sender: '@bob:localhost', content: {} }).notify).toBe(false);
    expect(outcome({ type: 'm.room.member', sender: '@bob:localhost', state_key: '@bob:localhost', content: { membership: 'join' } }).notify).toBe(false);
    expect(outcome({ ...message('me'), sender: me }).notify).toBe(false);
  });
  it('notifies invites for me and one-to-one messages with sound', () => {
    const invite = { type: 'm.room.member', sender: '@bob:localhost', state_key: me, content: { membership: 'invite' } };
    expect(evaluatePushRules(rules, invite, context)).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
    expect(evaluatePushRules(rules, message('x'), { ...context, memberCount: 2 })).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
  });
  it('obeys the master rule and user rules', () => {
    expect(outcome(message('hello'), context, setPushRuleEnabled(rules, 'override', '.m.rule.master', true)).notify).toBe(false);
    const muted = putPushRule(rules, 'room', '!r:localhost', { actions: ['dont_notify'] });
    expect(outcome(message('hello'), context, muted).notify).toBe(false);
    expect(outcome(message('hey', { 'm.mentions': { user_ids: [me] } }), context, muted).highlight).toBe(true); // override outranks room rules
  });
  it('matches globs case-insensitively over the whole value', () => {
    expect(globMatches('m.room.*', 'M.ROOM.message')).toBe(true);
    expect(globMatches('ca?e', 'cake')).toBe(true);
    expect(globMatches('cake', 'cakes')).toBe(false);
  });
});
