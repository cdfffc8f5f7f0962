// The `filter` parameter of /sync: inline JSON or the id of a filter the user uploaded.
import { invalidParam } from '../errors.ts';
import { matchesEventFilter, parseFilterParam, validateFilter, type FilterDefinition } from '../filters.ts';
import { filters } from '../pstates.ts';
import type { RoomEvent } from '../events.ts';

export async function resolveSyncFilter(userId: string, param: string | null): Promise<FilterDefinition> {
  if (param === null || param === '') return {};
  const parsed = parseFilterParam(param);
  if ('inline' in parsed) return parsed.inline;
  const stored = await filters.key(userId).key(parsed.id).get();
  if (!stored) throw invalidParam(`No filter with id ${parsed.id}`);
  return validateFilter(stored);
}

/** The filter predicate of a room section (timeline, state), room ids aside (rooms are chosen apart). */
export function roomEventPredicate(filter: FilterDefinition, section: 'timeline' | 'state'): (event: RoomEvent) => boolean {
  const definition = filter.room?.[section];
  return (event) => matchesEventFilter(definition, { type: event.type, sender: event.sender, content: event.content });
}
