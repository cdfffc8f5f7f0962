// Merging a stored push ruleset with the server's current defaults (lib/matrix/user-data/push-rules.ts).
import { describe, expect, it } from 'vitest';
import { defaultPushRules, putPushRule, setPushRuleActions, setPushRuleEnabled, type PushRule, type PushRuleset } from '../../lib/matrix/push-rules.ts';
import { mergeWithDefaults } from '../../lib/matrix/user-data/push-rules.ts';

const user = '@alice:localhost';
const ids = (rules: PushRule[]) => rules.map((r) => r.rule_id);
const rule = (rule_id: string, extra: Partial<PushRule> = {}): PushRule => ({ rule_id, default: true, enabled: true, actions: ['notify'], conditions: [], ...extra });

describe('mergeWithDefaults', () => {
  it('gives back a ruleset stored against the same defaults unchanged', () => {
    let stored = putPushRule(defaultPushRules(user), 'override', 'mine', { actions: ['notify'], conditions: [] });
    stored = setPushRuleEnabled(stored, 'override', '.m.rule.master', true);
    stored = setPushRuleActions(stored, 'underride', '.m.rule.message', ['dont_notify']);
    expect(mergeWithDefaults(stored, defaultPushRules(user))).toEqual(stored);
  });

  it("keeps the user's enabled and actions of a default rule but today's conditions", () => {
    const stored: PushRuleset = { ...defaultPushRules(user), underride: [rule('.d', { enabled: false, actions: [], conditions: [{ kind: 'old' }] })] };
    const defaults: PushRuleset = { ...defaultPushRules(user), underride: [rule('.d', { conditions: [{ kind: 'new' }] })] };
    expect(mergeWithDefaults(stored, defaults).underride).toEqual([rule('.d', { enabled: false, actions: [], conditions: [{ kind: 'new' }] })]);
  });

  it('drops defaults the server no longer has and adds new ones next to their neighbours', () => {
    const stored: PushRuleset = {
      ...defaultPushRules(user),
      override: [rule('.a'), rule('mine', { default: false }), rule('.gone'), rule('.c')],
    };
    const defaults: PushRuleset = { ...defaultPushRules(user), override: [rule('.new-first'), rule('.a'), rule('.b'), rule('.c'), rule('.new-last')] };
    expect(ids(mergeWithDefaults(stored, defaults).override)).toEqual(['.new-first', '.a', '.b', 'mine', '.c', '.new-last']);
  });

  it('keeps user rules of every kind in their order', () => {
    let stored = defaultPushRules(user);
    for (const id of ['one', 'two', 'three']) stored = putPushRule(stored, 'room', `!${id}:localhost`, { actions: [] });
    expect(ids(mergeWithDefaults(stored, defaultPushRules(user)).room)).toEqual(['!three:localhost', '!two:localhost', '!one:localhost']);
  });
});
