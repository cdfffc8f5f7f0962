// The user-data topology's decisions: each command, read against the user's current state, becomes
// PState writes (or a refusal). Reads are consistent: commands of one user apply in order, so what
// a command reads is what the previous one wrote.
import type { WriteOp } from '../../core/pstate/index.ts';
import { prepare } from '../../core/pstate/index.ts';
import { applyOnce } from '../../core/topology/apply-once.ts';
import type { DepotRecord } from '../../core/topology/records.ts';
import { refusingWith } from '../commands.ts';
import { MatrixError } from '../errors.ts';
import { deletePushRule, putPushRule, setPushRuleActions, setPushRuleEnabled, type PushRuleInput, type PushRuleset } from '../push-rules.ts';
import { accountData, filters, pushRules } from '../pstates.ts';
import { accountDataKey, readAccountData, TAG_TYPE, tagsOf } from './account-data.ts';
import type { PushRuleChange, UserDataCommand, UserDataCommandOf } from './commands.ts';
import { assertWithinLimit, MAX_PUSH_RULESET_BYTES } from './limits.ts';
import { userPushRules } from './push-rules.ts';

export interface UserDataPlan {
  ops: WriteOp[];
  value: Record<string, unknown>;
}

function setAccountData(c: UserDataCommandOf<'userData.accountData'>): UserDataPlan {
  return { ops: [accountData.key(c.userId).key(accountDataKey(c.roomId, c.type)).set(c.content)], value: {} };
}

async function setTag(c: UserDataCommandOf<'userData.tag'>): Promise<UserDataPlan> {
  const current = await readAccountData(c.userId, c.roomId, TAG_TYPE, true);
  const tags = { ...tagsOf(current) };
  if (c.content === null) {
    if (!(c.tag in tags)) return { ops: [], value: {} };
    delete tags[c.tag];
  } else {
    tags[c.tag] = c.content;
  }
  const content = { ...current, tags };
  assertWithinLimit(content, 'The room\'s tags');
  return { ops: [accountData.key(c.userId).key(accountDataKey(c.roomId, TAG_TYPE)).set(content)], value: {} };
}

/** Filter ids count up per user ("0", "1", ...), as Synapse's do; the id is taken only if free. */
async function defineFilter(c: UserDataCommandOf<'userData.filter'>): Promise<UserDataPlan> {
  const filterId = String(await filters.key(c.userId).count({ consistent: true }));
  return { ops: [filters.key(c.userId).key(filterId).set(c.filter, { ifAbsent: true })], value: { filter_id: filterId } };
}

function changedRuleset(ruleset: PushRuleset, change: PushRuleChange): PushRuleset {
  switch (change.op) {
    case 'put': {
      const position = { ...(change.before !== undefined ? { before: change.before } : {}), ...(change.after !== undefined ? { after: change.after } : {}) };
      try {
        return putPushRule(ruleset, change.kind, change.ruleId, change.rule as PushRuleInput, position);
      } catch (e) {
        // Only the before/after anchor can be missing here: the spec answers that with 400.
        if (e instanceof MatrixError && e.errcode === 'M_NOT_FOUND') throw new MatrixError(400, 'M_UNKNOWN', e.message);
        throw e;
      }
    }
    case 'delete':
      return deletePushRule(ruleset, change.kind, change.ruleId);
    case 'enabled':
      return setPushRuleEnabled(ruleset, change.kind, change.ruleId, change.enabled);
    case 'actions':
      return setPushRuleActions(ruleset, change.kind, change.ruleId, change.actions);
  }
}

async function changePushRules(c: UserDataCommandOf<'userData.pushRule'>): Promise<UserDataPlan> {
  const ruleset = changedRuleset(await userPushRules(c.userId, true), c.change);
  assertWithinLimit(ruleset, 'The push ruleset', MAX_PUSH_RULESET_BYTES);
  return { ops: [pushRules.key(c.userId).set(ruleset)], value: {} };
}

export async function planUserDataCommand(command: UserDataCommand): Promise<UserDataPlan> {
  switch (command.kind) {
    case 'userData.accountData':
      return setAccountData(command);
    case 'userData.tag':
      return setTag(command);
    case 'userData.filter':
      return defineFilter(command);
    case 'userData.pushRule':
      return changePushRules(command);
  }
}

/** Apply one user-data command exactly once (its writes commit with its outcome). */
export function applyUserDataCommand(record: DepotRecord<UserDataCommand>, topology: string): Promise<Record<string, unknown>> {
  return applyOnce(record, topology, () =>
    refusingWith(async () => {
      const plan = await planUserDataCommand(record.payload);
      return { writes: await prepare(plan.ops), value: plan.value };
    }),
  );
}
