// A user's push ruleset: stored whole once the user changes it; until then the spec's defaults.
import { defaultPushRules, type PushRuleset } from '../push-rules.ts';
import { pushRules } from '../pstates.ts';

export async function userPushRules(userId: string, consistent = false): Promise<PushRuleset> {
  return (await pushRules.key(userId).get({ consistent })) ?? defaultPushRules(userId);
}
