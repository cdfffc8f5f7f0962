// POST /user_directory/search: its body, and the search it asks for.
import { z } from 'zod';
import { DEFAULT_USER_SEARCH_LIMIT, MAX_USER_SEARCH_LIMIT, searchUserDirectory } from './search.ts';

export const userSearchRequest = z.looseObject({
  search_term: z.string(),
  limit: z.number().int().min(0).optional(),
});

export function searchUsers(userId: string, body: z.output<typeof userSearchRequest>) {
  return searchUserDirectory(userId, body.search_term, Math.min(body.limit ?? DEFAULT_USER_SEARCH_LIMIT, MAX_USER_SEARCH_LIMIT));
}
