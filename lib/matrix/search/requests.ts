// POST /search: its body (the room_events category only) and the search it asks for.
import { z } from 'zod';
import type { Requester } from '../accounts/authenticate.ts';
import { MAX_CONTEXT_LIMIT } from '../timeline/context.ts';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, searchRoomEvents } from './room-events.ts';

export const searchRequest = z.looseObject({
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

/** The answer to a checked POST /search (`next_batch` from the query continues a search). */
export async function search(requester: Requester, body: z.output<typeof searchRequest>, query: URLSearchParams) {
  const roomEvents = body.search_categories.room_events;
  if (!roomEvents) return { search_categories: {} };
  const nextBatch = query.get('next_batch') ?? undefined;
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
  return { search_categories: { room_events: results } };
}
