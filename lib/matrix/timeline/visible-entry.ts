// One event of a room as its viewer may see it: what /event, /context, relations and reports start from.
import { getMany } from '../../core/pstate/index.ts';
import { notFound } from '../errors.ts';
import { eventLocations, roomTimeline, type TimelineEntry } from '../pstates.ts';
import type { RoomView } from './access.ts';
import { readYourWrites } from './consistency.ts';
import { canSee } from './visibility.ts';

export const eventNotFound = () => notFound('Event not found.');

/** The stored entry of an event the viewer may see in this room, or 404 M_NOT_FOUND. */
export async function visibleEntry(view: RoomView, eventId: string): Promise<TimelineEntry> {
  const location = await eventLocations.key(eventId).get(readYourWrites);
  if (!location || location.roomId !== view.roomId || !location.position || location.position > view.readableUpTo) throw eventNotFound();
  const [entry] = await getMany([roomTimeline.key(view.roomId).key(location.position - 1)] as const, readYourWrites);
  if (!entry || !canSee(view.viewer, entry.event, entry.visibility)) throw eventNotFound();
  return entry;
}
