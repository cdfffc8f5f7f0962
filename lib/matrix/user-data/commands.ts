// The users-depot commands of per-user data (account data, room tags, filters, push rules). They
// share the depot with the account commands (partition key = user id) and are told apart by the
// `userData.` prefix of their kind, so the user-data topology takes only its own records.
import { z } from 'zod';
import { id, jsonObjectWithin, jsonWithin, MAX_ID_BYTES, text } from '../command-fields.ts';
import { MAX_USER_DATA_BYTES } from './limits.ts';

/** Account data, tags, filters and push rules: each stored whole, each at most 64 KB (limits.ts). */
const userData = jsonObjectWithin(MAX_USER_DATA_BYTES);
const part = jsonWithin(MAX_USER_DATA_BYTES);
const base = { userId: id };
/** Account data types are event types; tags (Synapse's limit) and rule ids key items too: 255 bytes. */
const name = text(MAX_ID_BYTES, { nonEmpty: true });

/** The change a push rule command makes; mirrors the /pushrules/global/{kind}/{ruleId}[/...] routes. */
export const pushRuleChange = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('put'),
    kind: name,
    ruleId: name,
    rule: z.object({ actions: part, conditions: part.optional(), pattern: part.optional() }),
    before: text(MAX_ID_BYTES).optional(),
    after: text(MAX_ID_BYTES).optional(),
  }),
  z.object({ op: z.literal('delete'), kind: name, ruleId: name }),
  z.object({ op: z.literal('enabled'), kind: name, ruleId: name, enabled: part }),
  z.object({ op: z.literal('actions'), kind: name, ruleId: name, actions: part }),
]);
export type PushRuleChange = z.infer<typeof pushRuleChange>;

export const userDataCommand = z.discriminatedUnion('kind', [
  /** Global (no roomId) or per-room account data: the content replaces what was there. */
  z.object({ kind: z.literal('userData.accountData'), ...base, roomId: id.optional(), type: name, content: userData }),
  /** Set (content) or remove (null) one tag of the room's `m.tag` account data. */
  z.object({ kind: z.literal('userData.tag'), ...base, roomId: id, tag: name, content: userData.nullable() }),
  /** Store a filter exactly as uploaded; the topology picks the id. */
  z.object({ kind: z.literal('userData.filter'), ...base, filter: userData }),
  z.object({ kind: z.literal('userData.pushRule'), ...base, change: pushRuleChange }),
]);
export type UserDataCommand = z.infer<typeof userDataCommand>;
export type UserDataCommandOf<K extends UserDataCommand['kind']> = Extract<UserDataCommand, { kind: K }>;

export const isUserDataCommandKind = (kind: string | undefined): boolean => kind?.startsWith('userData.') ?? false;
