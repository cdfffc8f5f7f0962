// The users-depot commands of per-user data (account data, room tags, filters, push rules). They
// share the depot with the account commands (partition key = user id) and are told apart by the
// `userData.` prefix of their kind, so the user-data topology takes only its own records.
import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());
const base = { userId: z.string().min(1) };

/** The change a push rule command makes; mirrors the /pushrules/global/{kind}/{ruleId}[/...] routes. */
export const pushRuleChange = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('put'),
    kind: z.string(),
    ruleId: z.string(),
    rule: z.object({ actions: z.unknown(), conditions: z.unknown().optional(), pattern: z.unknown().optional() }),
    before: z.string().optional(),
    after: z.string().optional(),
  }),
  z.object({ op: z.literal('delete'), kind: z.string(), ruleId: z.string() }),
  z.object({ op: z.literal('enabled'), kind: z.string(), ruleId: z.string(), enabled: z.unknown() }),
  z.object({ op: z.literal('actions'), kind: z.string(), ruleId: z.string(), actions: z.unknown() }),
]);
export type PushRuleChange = z.infer<typeof pushRuleChange>;

export const userDataCommand = z.discriminatedUnion('kind', [
  /** Global (no roomId) or per-room account data: the content replaces what was there. */
  z.object({ kind: z.literal('userData.accountData'), ...base, roomId: z.string().optional(), type: z.string().min(1), content: jsonObject }),
  /** Set (content) or remove (null) one tag of the room's `m.tag` account data. */
  z.object({ kind: z.literal('userData.tag'), ...base, roomId: z.string(), tag: z.string().min(1), content: jsonObject.nullable() }),
  /** Store a filter exactly as uploaded; the topology picks the id. */
  z.object({ kind: z.literal('userData.filter'), ...base, filter: jsonObject }),
  z.object({ kind: z.literal('userData.pushRule'), ...base, change: pushRuleChange }),
]);
export type UserDataCommand = z.infer<typeof userDataCommand>;
export type UserDataCommandOf<K extends UserDataCommand['kind']> = Extract<UserDataCommand, { kind: K }>;

export const isUserDataCommandKind = (kind: string | undefined): boolean => kind?.startsWith('userData.') ?? false;
