// GET /publicRooms (no token needed, as the spec says) and POST /publicRooms (with a filter).
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { invalidParam } from '../../lib/matrix/errors.ts';
import { serverName } from '../../lib/matrix/ids.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { listPublicRooms } from '../../lib/matrix/directory/public-rooms.ts';

const queryBody = z.looseObject({
  limit: z.number().int().min(0).optional(),
  since: z.string().optional(),
  filter: z
    .looseObject({
      generic_search_term: z.string().optional(),
      room_types: z.array(z.string().nullable()).optional(),
    })
    .optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});

/** Only this server's directory exists here (no federation). */
function requireLocalServer(request: HttpRequest): void {
  const server = request.query.get('server');
  if (server !== null && server !== serverName()) throw invalidParam(`Cannot list the directory of ${server}`);
}

export const handler = matrixFunction('publicRooms', {
  getPublicRooms: async (request) => {
    requireLocalServer(request);
    const rawLimit = request.query.get('limit');
    let limit: number | undefined;
    if (rawLimit !== null) {
      limit = Number(rawLimit);
      if (!/^\d+$/.test(rawLimit)) throw invalidParam('limit must be a non-negative integer');
    }
    const since = request.query.get('since') ?? undefined;
    return json(await listPublicRooms({ ...(limit !== undefined ? { limit } : {}), ...(since !== undefined ? { since } : {}) }));
  },
  queryPublicRooms: async (request) => {
    await authenticate(request);
    requireLocalServer(request);
    const body = parseRequestBody(queryBody, request.body);
    return json(
      await listPublicRooms({
        ...(body.limit !== undefined ? { limit: body.limit } : {}),
        ...(body.since !== undefined ? { since: body.since } : {}),
        ...(body.filter?.generic_search_term ? { searchTerm: body.filter.generic_search_term } : {}),
        ...(body.filter?.room_types ? { roomTypes: body.filter.room_types } : {}),
      }),
    );
  },
});
