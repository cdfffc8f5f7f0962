// POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId}. A filter is validated, then
// stored exactly as uploaded: matrix-js-sdk deep-compares the fetched filter with its own and
// uploads a new one whenever they differ.
import { json } from '../../lib/http/operation.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { validateFilter } from '../../lib/matrix/filters.ts';
import { filters } from '../../lib/matrix/pstates.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { requireOwn } from '../../lib/matrix/user-data/access.ts';
import type { UserDataCommand } from '../../lib/matrix/user-data/commands.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';

export const handler = matrixFunction('filters', {
  defineFilter: operation({ auth: 'user', params: ['userId'] }, async ({ requester, params: { userId }, body }) => {
    requireOwn(requester, userId, 'filters');
    validateFilter(body);
    assertWithinLimit(body, 'A filter');
    const command: UserDataCommand = { kind: 'userData.filter', userId, filter: body as Record<string, unknown> };
    const result = await submit<{ filter_id: string }>('users', userId, command);
    return json({ filter_id: result.filter_id });
  }),
  getFilter: operation({ auth: 'user', params: ['userId', 'filterId'] }, async ({ requester, params: { userId, filterId } }) => {
    requireOwn(requester, userId, 'filters');
    const filter = await filters.key(userId).key(filterId).get();
    if (filter === undefined) throw notFound('No such filter.');
    return json(filter);
  }),
});
