// POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId}. A filter is validated, then
// stored exactly as uploaded: matrix-js-sdk deep-compares the fetched filter with its own and
// uploads a new one whenever they differ.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { validateFilter } from '../../lib/matrix/filters.ts';
import { filters } from '../../lib/matrix/pstates.ts';
import { authenticateAs } from '../../lib/matrix/user-data/access.ts';
import type { UserDataCommand } from '../../lib/matrix/user-data/commands.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';

export const handler = httpFunction(axon, 'filters', {
  defineFilter: async (request) => {
    const userId = request.pathParameters.userId!;
    await authenticateAs(request, userId, 'filters');
    validateFilter(request.body);
    assertWithinLimit(request.body, 'A filter');
    const filter = request.body as Record<string, unknown>;
    const command: UserDataCommand = { kind: 'userData.filter', userId, filter };
    const result = await submit<{ filter_id: string }>('users', userId, command);
    return json({ filter_id: result.filter_id });
  },
  getFilter: async (request) => {
    const { userId, filterId } = request.pathParameters as { userId: string; filterId: string };
    await authenticateAs(request, userId, 'filters');
    const filter = await filters.key(userId).key(filterId).get();
    if (filter === undefined) throw notFound('No such filter.');
    return json(filter);
  },
});
