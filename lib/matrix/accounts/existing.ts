// Which of the user ids a request names are accounts of this server: one batched read of the users
// PState (BatchGetItem, 100 ids a request, one request at a time), so a request naming thousands of
// users who do not exist costs a few reads instead of work per user.
import { getMany } from '../../core/pstate/index.ts';
import { isLocalUser } from '../ids.ts';
import { users } from '../pstates.ts';

/** The ids among `userIds` that are well-formed, of this server, and have an account. */
export async function existingLocalUsers(userIds: Iterable<string>): Promise<Set<string>> {
  const local = [...new Set(userIds)].filter((u) => isLocalUser(u));
  const found = await getMany(local.map((u) => users.key(u).field('createdTs')));
  return new Set(local.filter((_, i) => found[i] !== undefined));
}
