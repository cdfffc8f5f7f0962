// POST /search: the room_events category over the rooms the user is joined to (see
// lib/matrix/search/room-events.ts for what is scanned and its limits).
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, searchRoomEvents } from '../../lib/matrix/search/room-events.ts';
import { MAX_CONTEXT_LIMIT } from '../../lib/matrix/timeline/context.ts';

const searchBody = z.looseObject({
  search_categories: z.looseObject({
    room_events: z
      .looseObject({
        search_term: z.string(),
        keys: z.array(z.enum(['content.body', 'content.name', 'content.topic'])).optional(),
        order_by: z.enum(['recent', 'rank']).optional(),
        filter: z.looseObject({ limit: z.number().int().min(0).optional(), rooms: z.array(z.string()).optional() }).optional(),
        event_context: z
          .looseObject({
            before_limit: z.number().int().min(0).optional(),
            after_limit: z.number().int().min(0).optional(),
            include_profile: z.boolean().optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

export const handler = matrixFunction('search', {
  search: async (request) => {
    const requester = await authenticate(request);
    const body = parseRequestBody(searchBody, request.body);
    const roomEvents = body.search_categories.room_events;
    if (!roomEvents) return json({ search_categories: {} });
    const nextBatch = request.query.get('next_batch') ?? undefined;
    const results = await searchRoomEvents(requester, {
      searchTerm: roomEvents.search_term,
      keys: roomEvents.keys ?? ['content.body', 'content.name', 'content.topic'],
      limit: Math.min(roomEvents.filter?.limit ?? DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT),
      ...(roomEvents.filter?.rooms ? { rooms: roomEvents.filter.rooms } : {}),
      ...(nextBatch !== undefined ? { nextBatch } : {}),
      ...(roomEvents.event_context
        ? {
            context: {
              // The spec's defaults (5 each); capped as /context is.
              beforeLimit: Math.min(roomEvents.event_context.before_limit ?? 5, MAX_CONTEXT_LIMIT),
              afterLimit: Math.min(roomEvents.event_context.after_limit ?? 5, MAX_CONTEXT_LIMIT),
              includeProfile: roomEvents.event_context.include_profile === true,
            },
          }
        : {}),
    });
    return json({ search_categories: { room_events: results } });
  },
});
