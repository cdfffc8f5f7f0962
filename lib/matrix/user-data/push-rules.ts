// A user's push ruleset: stored whole once the user changes it; until then the spec's defaults.
// Reads merge the stored ruleset with the server's current defaults, so a server upgrade that adds,
// removes or rewrites a default rule reaches users who changed their rules before it.
import { defaultPushRules, PUSH_RULE_KINDS, type PushRule, type PushRuleset } from '../push-rules.ts';
import { pushRules } from '../pstates.ts';

/**
 * The stored ruleset against today's defaults: user rules keep their place; a default rule keeps
 * the user's `enabled` and `actions` but today's conditions and pattern; defaults the server no
 * longer has are dropped; new defaults are added where the default ruleset has them relative to the
 * rules around them (the end of their kind when nothing before them is known).
 */
export function mergeWithDefaults(stored: PushRuleset, defaults: PushRuleset): PushRuleset {
  const merged = {} as PushRuleset;
  for (const kind of PUSH_RULE_KINDS) {
    const current = new Map(defaults[kind].map((r) => [r.rule_id, r]));
    const rules: PushRule[] = [];
    for (const rule of stored[kind] ?? []) {
      if (!rule.default) rules.push(rule);
      else {
        const now = current.get(rule.rule_id);
        if (now) rules.push({ ...now, enabled: rule.enabled, actions: rule.actions });
      }
    }
    defaults[kind].forEach((rule, i) => {
      if (rules.some((r) => r.rule_id === rule.rule_id)) return;
      // After the nearest earlier default rule that is present, else before the next one.
      const before = defaults[kind].slice(0, i).map((r) => r.rule_id);
      const anchor = rules.findLastIndex((r) => before.includes(r.rule_id));
      if (anchor >= 0) rules.splice(anchor + 1, 0, rule);
      else {
        const after = new Set(defaults[kind].slice(i + 1).map((r) => r.rule_id));
        const next = rules.findIndex((r) => after.has(r.rule_id));
        rules.splice(next >= 0 ? next : rules.length, 0, rule);
      }
    });
    merged[kind] = rules;
  }
  return merged;
}

export async function userPushRules(userId: string, consistent = false): Promise<PushRuleset> {
  const defaults = defaultPushRules(userId);
  const stored = await pushRules.key(userId).get({ consistent });
  return stored ? mergeWithDefaults(stored, defaults) : defaults;
}
