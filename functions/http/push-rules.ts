// Push rules: GET /pushrules/ and /pushrules/global/, and the rule item routes under
// /pushrules/global/{kind}/{ruleId} (the rule, its `enabled` flag, its `actions`). A user's ruleset
// is the spec's defaults until they change it; changes go through the users depot
// (lib/matrix/user-data/push-rules.ts).
import { json } from '../../lib/http/operation.ts';
import { getPushRule, pushRulesResponse } from '../../lib/matrix/push-rules.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import {
  changePushRule,
  pushRuleActionsRequest,
  pushRuleEnabledRequest,
  pushRuleRequest,
  putRuleChange,
  userPushRules,
} from '../../lib/matrix/user-data/push-rules.ts';

const rule = { auth: 'user', params: ['kind', 'ruleId'] } as const;
const currentRule = async (userId: string, { kind, ruleId }: { kind: string; ruleId: string }) => getPushRule(await userPushRules(userId), kind, ruleId);

export const handler = matrixFunction('pushRules', {
  getPushRules: operation({ auth: 'user' }, async ({ requester }) => json(pushRulesResponse(await userPushRules(requester.userId)))),
  getPushRulesGlobal: operation({ auth: 'user' }, async ({ requester }) => json(await userPushRules(requester.userId))),
  getPushRule: operation(rule, async ({ requester, params }) => json(await currentRule(requester.userId, params))),
  isPushRuleEnabled: operation(rule, async ({ requester, params }) => json({ enabled: (await currentRule(requester.userId, params)).enabled })),
  getPushRuleActions: operation(rule, async ({ requester, params }) => json({ actions: (await currentRule(requester.userId, params)).actions })),
  setPushRule: operation({ ...rule, body: pushRuleRequest }, async ({ requester, params: { kind, ruleId }, body, request }) => {
    await changePushRule(requester.userId, putRuleChange({ kind, ruleId }, body, request.query));
    return json({});
  }),
  deletePushRule: operation(rule, async ({ requester, params: { kind, ruleId } }) => {
    await changePushRule(requester.userId, { op: 'delete', kind, ruleId });
    return json({});
  }),
  setPushRuleEnabled: operation({ ...rule, body: pushRuleEnabledRequest }, async ({ requester, params: { kind, ruleId }, body }) => {
    await changePushRule(requester.userId, { op: 'enabled', kind, ruleId, enabled: body.enabled });
    return json({});
  }),
  setPushRuleActions: operation({ ...rule, body: pushRuleActionsRequest }, async ({ requester, params: { kind, ruleId }, body }) => {
    await changePushRule(requester.userId, { op: 'actions', kind, ruleId, actions: body.actions });
    return json({});
  }),
});
