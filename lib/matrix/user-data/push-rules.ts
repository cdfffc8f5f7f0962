// A user's push ruleset: stored whole once the user changes it; until then the spec's defaults.
// Reads merge the stored ruleset with the server's current defaults, so a server upgrade that adds,
// removes or rewrites a default rule reaches users who changed their rules before it.
import { z } from 'zod';
import { submit } from '../commands.ts';
import { defaultPushRules, PUSH_RULE_KINDS, type PushRule, type PushRuleset } from '../push-rules.ts';
import { pushRules } from '../pstates.ts';
import type { PushRuleChange, UserDataCommand } from './commands.ts';
import { assertWithinLimit } from './limits.ts';

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

export const pushRuleRequest = z.looseObject({ actions: z.array(z.unknown()), conditions: z.array(z.unknown()).optional(), pattern: z.string().optional() });
export const pushRuleEnabledRequest = z.looseObject({ enabled: z.boolean() });
export const pushRuleActionsRequest = z.looseObject({ actions: z.array(z.unknown()) });

/** A change to one of `userId`'s rules, through the users depot. */
export async function changePushRule(userId: string, change: PushRuleChange): Promise<void> {
  const command: UserDataCommand = { kind: 'userData.pushRule', userId, change };
  await submit('users', userId, command);
}

/** The rule a PUT /pushrules/global/{kind}/{ruleId} stores (`before`/`after` from the query place it). */
export function putRuleChange(target: { kind: string; ruleId: string }, body: z.output<typeof pushRuleRequest>, query: URLSearchParams): PushRuleChange {
  assertWithinLimit(body, 'A push rule');
  const rule = { actions: body.actions, ...(body.conditions ? { conditions: body.conditions } : {}), ...(body.pattern !== undefined ? { pattern: body.pattern } : {}) };
  const optional = (name: string) => {
    const value = query.get(name);
    return value === null ? {} : { [name]: value };
  };
  return { op: 'put', ...target, rule, ...optional('before'), ...optional('after') };
}
