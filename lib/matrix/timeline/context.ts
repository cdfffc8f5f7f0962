// GET /rooms/{roomId}/context/{eventId}: an event with the events around it and the state at the
// last event returned; and GET /rooms/{roomId}/event/{eventId}. An event the user may not see is
// 404, like one that does not exist (the spec's documented answer for both).
import { lazyLoadMembers, parseRoomEventFilterParam, type RoomEventFilterDefinition } from '../filters.ts';
import type { ClientEvent, RoomEvent } from '../events.ts';
import { MatrixError } from '../errors.ts';
import { viewRoom, type RoomView } from './access.ts';
import { withAggregations } from '../relations/aggregations.ts';
import { clientEvents, type Requester } from './format.ts';
import { memberEventsAt, parseLimit } from './messages.ts';
import { walkTimeline } from './paginate.ts';
import { eventNotFound, visibleEntry } from './visible-entry.ts';
import { stateAt } from './state.ts';
import { positionToken } from '../tokens.ts';
import { paginationWindow } from './window.ts';

export const DEFAULT_CONTEXT_LIMIT = 10;
export const MAX_CONTEXT_LIMIT = 100;

export interface ContextQuery {
  limit: number;
  filter: RoomEventFilterDefinition;
}

export interface EventContext {
  event: ClientEvent;
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  start: string;
  end: string;
  state: ClientEvent[];
}

export function parseContextQuery(query: URLSearchParams): ContextQuery {
  return {
    limit: parseLimit(query.get('limit'), DEFAULT_CONTEXT_LIMIT, MAX_CONTEXT_LIMIT),
    filter: parseRoomEventFilterParam(query.get('filter') ?? undefined),
  };
}


/**
 * The view GET /rooms/{roomId}/event/{eventId} reads through: a room the user may not read at all
 * is 404 there as well, not viewRoom's 403 (the spec names only 404; Synapse turns its AuthError
 * into 404 "Event not found.").
 */
export async function eventView(roomId: string, userId: string): Promise<RoomView> {
  try {
    return await viewRoom(roomId, userId);
  } catch (error) {
    if (error instanceof MatrixError && error.status === 403) throw eventNotFound();
    throw error;
  }
}

export async function roomEvent(view: RoomView, requester: Requester, eventId: string): Promise<ClientEvent> {
  const entry = await visibleEntry(view, eventId);
  return (await withAggregations(view, requester, [entry.event], clientEvents([entry.event], requester, Date.now(), view.viewer)))[0]!;
}

export async function eventContext(view: RoomView, requester: Requester, eventId: string, query: ContextQuery): Promise<EventContext> {
  const { event } = await visibleEntry(view, eventId);
  const position = event.depth;
  // As Synapse does: half the limit before (rounded down), the rest after.
  const beforeLimit = Math.floor(query.limit / 2);
  const afterLimit = query.limit - beforeLimit;
  const [before, after] = await Promise.all([
    beforeLimit > 0
      ? walkTimeline(view.roomId, view.viewer, paginationWindow({ dir: 'b', from: position - 1 }, view.readableUpTo), beforeLimit, query.filter, position - 1)
      : undefined,
    walkTimeline(view.roomId, view.viewer, paginationWindow({ dir: 'f', from: position }, view.readableUpTo), afterLimit, query.filter, position),
  ]);
  const last = after.events.reduce((max, e) => Math.max(max, e.depth), position);
  const around: RoomEvent[] = [...(before?.events ?? []), event, ...after.events];
  const state = lazyLoadMembers(query.filter)
    ? await memberEventsAt(view.roomId, [...around.map((e) => e.sender), requester.userId], last)
    : await stateAt(view.roomId, last);
  const now = Date.now();
  return {
    event: (await withAggregations(view, requester, [event], clientEvents([event], requester, now, view.viewer)))[0]!,
    events_before: await withAggregations(view, requester, before?.events ?? [], clientEvents(before?.events ?? [], requester, now, view.viewer)),
    events_after: await withAggregations(view, requester, after.events, clientEvents(after.events, requester, now, view.viewer)),
    start: before?.edge ?? positionToken(position - 1),
    end: after.edge,
    state: clientEvents(state, requester, now),
  };
}
