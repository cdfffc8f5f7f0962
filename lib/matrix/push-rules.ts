// Push rules (Client-Server "Push Rules"): the spec's predefined ruleset for a user and pure
// operations over a user's ruleset. A ruleset is stored whole; server-default rules carry
// `default: true` and can only have `enabled` and `actions` changed.
import type { JsonObject } from './canonical-json.ts';
import { invalidParam, MatrixError, missingParam, notFound } from './errors.ts';

export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export type PushAction = string | JsonObject;
export type PushCondition = JsonObject & { kind: string };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export type PushRuleset = Record<PushRuleKind, PushRule[]>;

const sound = (value: string): JsonObject => ({ set_tweak: 'sound', value });
const highlight: JsonObject = { set_tweak: 'highlight' };
const match = (key: string, pattern: string): PushCondition => ({ kind: 'event_match', key, pattern });
const rule = (rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule => ({
  rule_id, default: true, enabled, conditions, actions,
});

/** The predefined rules of the current spec, in their order of importance. */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
      rule('.m.rule.invite_for_me', [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)], ['notify', sound('default')]),
      rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
      rule('.m.rule.is_user_mention', [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }], ['notify', sound('default'), highlight]),
      rule('.m.rule.is_room_mention', [{ kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true }, { kind: 'sender_notification_permission', key: 'room' }], ['notify', highlight]),
      rule('.m.rule.tombstone', [match('type', 'm.room.tombstone'), match('state_key', '')], ['notify', highlight]),
      rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [match('type', 'm.room.server_acl'), match('state_key', '')], []),
      rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
    ],
    // Matrix 1.17 (MSC4210) removed the legacy mention rules (.m.rule.contains_user_name,
    // .m.rule.contains_display_name, .m.rule.roomnotif): mentions go through m.mentions.
    content: [],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [match('type', 'm.call.invite')], ['notify', sound('ring')]),
      rule('.m.rule.encrypted_room_one_to_one', [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')], ['notify', sound('default')]),
      rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')], ['notify', sound('default')]),
      rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
      rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
    ],
  };
}

export function isPushRuleKind(kind: string): kind is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(kind);
}

function requireKind(kind: string): PushRuleKind {
  if (!isPushRuleKind(kind)) throw invalidParam(`Unknown push rule kind ${kind}`);
  return kind;
}

function ruleNotFound(): MatrixError {
  return notFound('Push rule not found');
}

export function getPushRule(ruleset: PushRuleset, kind: string, ruleId: string): PushRule {
  const found = ruleset[requireKind(kind)].find((r) => r.rule_id === ruleId);
  if (!found) throw ruleNotFound();
  return found;
}

export interface PushRuleInput {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

const validAction = (action: unknown): boolean =>
  action === 'notify' || action === 'dont_notify' || action === 'coalesce' ||
  (typeof action === 'object' && action !== null && !Array.isArray(action) && typeof (action as JsonObject).set_tweak === 'string');

function checkActions(actions: unknown): PushAction[] {
  if (!Array.isArray(actions)) throw missingParam('actions is required');
  if (!actions.every(validAction)) throw invalidParam('Unknown action');
  return actions as PushAction[];
}

/**
 * Adds or updates a user-defined rule (PUT /pushrules/global/{kind}/{ruleId}). A new rule
 * without before/after becomes the most important user-defined rule of its kind.
 */
export function putPushRule(
  ruleset: PushRuleset,
  kind: string,
  ruleId: string,
  input: PushRuleInput,
  position: { before?: string; after?: string } = {},
): PushRuleset {
  const k = requireKind(kind);
  if (ruleId.startsWith('.')) throw invalidParam('Rule ids starting with "." are reserved for server-default rules');
  if (ruleId.includes('/') || ruleId.includes('\\')) throw invalidParam('Rule ids may not contain / or \\');
  const actions = checkActions(input.actions);
  const built: PushRule = { rule_id: ruleId, default: false, enabled: true, actions };
  if (k === 'content') {
    if (typeof input.pattern !== 'string') throw missingParam('Content rules need a pattern');
    built.pattern = input.pattern;
  } else if (k === 'override' || k === 'underride') {
    if (input.conditions !== undefined && !Array.isArray(input.conditions)) throw invalidParam('conditions must be an array');
    built.conditions = input.conditions ?? [];
  }
  const rules = [...ruleset[k]];
  const existing = rules.findIndex((r) => r.rule_id === ruleId);
  if (existing >= 0) built.enabled = rules[existing]!.enabled;
  const anchorId = position.before ?? position.after;
  if (anchorId !== undefined) {
    if (anchorId.startsWith('.')) throw invalidParam('before/after cannot refer to a server-default rule');
    if (existing >= 0) rules.splice(existing, 1);
    const anchor = rules.findIndex((r) => r.rule_id === anchorId);
    if (anchor < 0) throw notFound(`Push rule ${anchorId} not found`);
    rules.splice(position.before !== undefined ? anchor : anchor + 1, 0, built);
  } else if (existing >= 0) {
    rules[existing] = built;
  } else {
    // Server-default override rules that outrank user rules (`.m.rule.master`) stay first.
    const first = k === 'override' ? rules.findIndex((r) => r.rule_id !== '.m.rule.master') : 0;
    rules.splice(first < 0 ? rules.length : first, 0, built);
  }
  return { ...ruleset, [k]: rules };
}

export function deletePushRule(ruleset: PushRuleset, kind: string, ruleId: string): PushRuleset {
  const k = requireKind(kind);
  const target = getPushRule(ruleset, k, ruleId);
  if (target.default) throw invalidParam('Server-default rules cannot be deleted');
  return { ...ruleset, [k]: ruleset[k].filter((r) => r.rule_id !== ruleId) };
}

function updateRule(ruleset: PushRuleset, kind: string, ruleId: string, change: Partial<PushRule>): PushRuleset {
  const k = requireKind(kind);
  getPushRule(ruleset, k, ruleId);
  return { ...ruleset, [k]: ruleset[k].map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r)) };
}

export function setPushRuleEnabled(ruleset: PushRuleset, kind: string, ruleId: string, enabled: unknown): PushRuleset {
  if (typeof enabled !== 'boolean') throw missingParam('enabled must be a boolean');
  return updateRule(ruleset, kind, ruleId, { enabled });
}

export function setPushRuleActions(ruleset: PushRuleset, kind: string, ruleId: string, actions: unknown): PushRuleset {
  return updateRule(ruleset, kind, ruleId, { actions: checkActions(actions) });
}

/** GET /pushrules/ body. */
export function pushRulesResponse(ruleset: PushRuleset): { global: PushRuleset } {
  return { global: ruleset };
}
