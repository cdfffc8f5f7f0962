// GET /publicRooms (no token needed, as the spec says) and POST /publicRooms (with a filter): their
// query and body, checked, as a PublicRoomsQuery. Only this server's directory exists (no federation).
import { z } from 'zod';
import { invalidParam } from '../errors.ts';
import { serverName } from '../ids.ts';
import type { PublicRoomsQuery } from './public-rooms.ts';

export const publicRoomsRequest = z.looseObject({
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
export function requireLocalServer(query: URLSearchParams): void {
  const server = query.get('server');
  if (server !== null && server !== serverName()) throw invalidParam(`Cannot list the directory of ${server}`);
}

/** GET /publicRooms?server&limit&since */
export function publicRoomsQuery(query: URLSearchParams): PublicRoomsQuery {
  requireLocalServer(query);
  const rawLimit = query.get('limit');
  let limit: number | undefined;
  if (rawLimit !== null) {
    limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit)) throw invalidParam('limit must be a non-negative integer');
  }
  const since = query.get('since') ?? undefined;
  return { ...(limit !== undefined ? { limit } : {}), ...(since !== undefined ? { since } : {}) };
}

/** POST /publicRooms?server with its checked body. */
export function publicRoomsFilter(query: URLSearchParams, body: z.output<typeof publicRoomsRequest>): PublicRoomsQuery {
  requireLocalServer(query);
  return {
    ...(body.limit !== undefined ? { limit: body.limit } : {}),
    ...(body.since !== undefined ? { since: body.since } : {}),
    ...(body.filter?.generic_search_term ? { searchTerm: body.filter.generic_search_term } : {}),
    ...(body.filter?.room_types ? { roomTypes: body.filter.room_types } : {}),
  };
}
