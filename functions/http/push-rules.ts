// Push rules: GET /pushrules/ and /pushrules/global/, and the rule item routes under
// /pushrules/global/{kind}/{ruleId} (the rule, its `enabled` flag, its `actions`). A user's ruleset
// is the spec's defaults until they change it; changes go through the users depot.
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { getPushRule, pushRulesResponse } from '../../lib/matrix/push-rules.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import type { PushRuleChange, UserDataCommand } from '../../lib/matrix/user-data/commands.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';
import { userPushRules } from '../../lib/matrix/user-data/push-rules.ts';

const ruleBody = z.looseObject({ actions: z.array(z.unknown()), conditions: z.array(z.unknown()).optional(), pattern: z.string().optional() });
const enabledBody = z.looseObject({ enabled: z.boolean() });
const actionsBody = z.looseObject({ actions: z.array(z.unknown()) });

async function currentRule(request: HttpRequest) {
  const { userId } = await authenticate(request);
  const { kind, ruleId } = request.pathParameters as { kind: string; ruleId: string };
  return getPushRule(await userPushRules(userId), kind, ruleId);
}

async function change(request: HttpRequest, build: (target: { kind: string; ruleId: string }) => PushRuleChange) {
  const { userId } = await authenticate(request);
  const { kind, ruleId } = request.pathParameters as { kind: string; ruleId: string };
  const command: UserDataCommand = { kind: 'userData.pushRule', userId, change: build({ kind, ruleId }) };
  await submit('users', userId, command);
  return json({});
}

function optionalQuery(request: HttpRequest, name: string): { [k: string]: string } {
  const value = request.query.get(name);
  return value === null ? {} : { [name]: value };
}

export const handler = matrixFunction('pushRules', {
  getPushRules: async (request) => json(pushRulesResponse(await userPushRules((await authenticate(request)).userId))),
  getPushRulesGlobal: async (request) => json(await userPushRules((await authenticate(request)).userId)),
  getPushRule: async (request) => json(await currentRule(request)),
  isPushRuleEnabled: async (request) => json({ enabled: (await currentRule(request)).enabled }),
  getPushRuleActions: async (request) => json({ actions: (await currentRule(request)).actions }),
  setPushRule: (request) => {
    const body = parseRequestBody(ruleBody, request.body);
    assertWithinLimit(body, 'A push rule');
    const rule = { actions: body.actions, ...(body.conditions ? { conditions: body.conditions } : {}), ...(body.pattern !== undefined ? { pattern: body.pattern } : {}) };
    return change(request, (target) => ({ op: 'put', ...target, rule, ...optionalQuery(request, 'before'), ...optionalQuery(request, 'after') }));
  },
  deletePushRule: (request) => change(request, (target) => ({ op: 'delete', ...target })),
  setPushRuleEnabled: (request) => {
    const { enabled } = parseRequestBody(enabledBody, request.body);
    return change(request, (target) => ({ op: 'enabled', ...target, enabled }));
  },
  setPushRuleActions: (request) => {
    const { actions } = parseRequestBody(actionsBody, request.body);
    return change(request, (target) => ({ op: 'actions', ...target, actions }));
  },
});
