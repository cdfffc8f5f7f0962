// POST /user_directory/search and GET /thirdparty/protocols (no bridges here: `{}`).
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { DEFAULT_USER_SEARCH_LIMIT, MAX_USER_SEARCH_LIMIT, searchUserDirectory } from '../../lib/matrix/user-directory/search.ts';

const searchBody = z.looseObject({
  search_term: z.string(),
  limit: z.number().int().min(0).optional(),
});

export const handler = matrixFunction('userDirectory', {
  searchUserDirectory: async (request) => {
    const { userId } = await authenticate(request);
    const body = parseRequestBody(searchBody, request.body);
    const limit = Math.min(body.limit ?? DEFAULT_USER_SEARCH_LIMIT, MAX_USER_SEARCH_LIMIT);
    return json(await searchUserDirectory(userId, body.search_term, limit));
  },
  getProtocols: async (request) => {
    await authenticate(request);
    return json({});
  },
});
