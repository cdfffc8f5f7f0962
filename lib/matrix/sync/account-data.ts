// Account data for a sync: everything on an initial sync (or for a newly joined room), otherwise
// the entries whose last change (accountDataChanges) falls in the token's window of the userData
// stream. Push rules are delivered as global account data `m.push_rules`.
import { getMany } from '../../core/pstate/index.ts';
import { matchesEventFilter, type EventFilterDefinition } from '../filters.ts';
import { accountData, accountDataChanges } from '../pstates.ts';
import { accountDataKey, parseAccountDataKey } from '../user-data/account-data.ts';
import { userPushRules } from '../user-data/push-rules.ts';
import { inWindow, NOTHING, type ShardPositions } from './token.ts';

export interface AccountDataEvent {
  type: string;
  content: Record<string, unknown>;
}

/** Room id ('' for global) → events. */
export type AccountDataByRoom = Map<string, AccountDataEvent[]>;

const PUSH_RULES_KEY = accountDataKey(undefined, 'm.push_rules');

/** The accountDataChanges key under which push rule changes are recorded. */
export const pushRulesChangeKey = PUSH_RULES_KEY;

function add(out: AccountDataByRoom, key: string, content: Record<string, unknown>): void {
  const { roomId, type } = parseAccountDataKey(key);
  const list = out.get(roomId ?? '') ?? [];
  list.push({ type, content });
  out.set(roomId ?? '', list);
}

/** All of the user's account data (one paginated range) and their push rules. */
export async function allAccountData(userId: string): Promise<AccountDataByRoom> {
  const out: AccountDataByRoom = new Map();
  for (const [key, content] of await accountData.key(userId).entries({ consistent: true, limit: 500 })) add(out, key, content);
  add(out, PUSH_RULES_KEY, (await userPushRules(userId, true)) as unknown as Record<string, unknown>);
  return out;
}

/**
 * The entries changed in (since, watermarks] of the userData stream. A user's records all sit on
 * the shard of their user id, so a change's shard is found by trying each shard's window. When no
 * shard moved past the token, nobody's account data changed: no read at all.
 */
export async function changedAccountData(userId: string, since: ShardPositions, watermarks: ShardPositions): Promise<AccountDataByRoom> {
  const out: AccountDataByRoom = new Map();
  if (!Object.entries(watermarks).some(([shard, mark]) => mark > (since[shard] ?? NOTHING))) return out;
  const changed: string[] = [];
  for (const [key, position] of await accountDataChanges.key(userId).entries({ consistent: true, limit: 500 })) {
    const shard = position.slice(0, position.indexOf('/'));
    const seq = position.slice(position.indexOf('/') + 1);
    if (inWindow(seq, since[shard] ?? NOTHING, watermarks[shard] ?? NOTHING)) changed.push(key);
  }
  const plain = changed.filter((k) => k !== PUSH_RULES_KEY);
  const contents = await getMany(plain.map((k) => accountData.key(userId).key(k)), { consistent: true });
  plain.forEach((key, i) => {
    const content = contents[i];
    if (content) add(out, key, content);
  });
  if (changed.includes(PUSH_RULES_KEY)) add(out, PUSH_RULES_KEY, (await userPushRules(userId, true)) as unknown as Record<string, unknown>);
  return out;
}

/** A room's account data (for a room newly joined in an incremental sync). */
export async function roomAccountData(userId: string, roomId: string): Promise<AccountDataEvent[]> {
  const page = await accountData.key(userId).range({ consistent: true, from: `${roomId}\u0000`, to: `${roomId}\u0001`, limit: 500 });
  return page.entries.map(([key, content]) => ({ type: parseAccountDataKey(key).type, content }));
}

export function filterAccountData(events: readonly AccountDataEvent[], filter: EventFilterDefinition | undefined): AccountDataEvent[] {
  const kept = events.filter((e) => matchesEventFilter(filter, { type: e.type }));
  return filter?.limit !== undefined ? kept.slice(0, filter.limit) : kept;
}
