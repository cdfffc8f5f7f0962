// A connection's sync filter applied to the frames pushed to it, as /sync applies it to its
// response: rooms include/exclude (every room section), the timeline, state and ephemeral event
// filters of the room filter, the presence and account_data filters, and event_fields. Limits are
// not applied: a frame is a live delta, not a window. A frame left with nothing is not sent (and
// moves no cursor).
import type { JsonObject } from '../canonical-json.ts';
import { includesRoom, matchesEventFilter, selectEventFields, type EventFilterDefinition, type FilterDefinition, type RoomEventFilterDefinition } from '../filters.ts';
import type { SyncDelta } from './frames.ts';

type Events = { events: JsonObject[] };

function keep(section: Events | undefined, filter: RoomEventFilterDefinition | EventFilterDefinition | undefined): Events | undefined {
  if (!section) return undefined;
  const events = section.events.filter((e) =>
    matchesEventFilter(filter, {
      type: String(e.type),
      ...(typeof e.sender === 'string' ? { sender: e.sender } : {}),
      ...(typeof e.content === 'object' && e.content !== null ? { content: e.content as Record<string, unknown> } : {}),
    }),
  );
  return events.length ? { ...section, events } : undefined;
}

function fields(section: Events | undefined, filter: FilterDefinition): Events | undefined {
  if (!section || !filter.event_fields) return section;
  return { ...section, events: section.events.map((e) => selectEventFields(e, filter.event_fields) as JsonObject) };
}

/** The object without its undefined fields; undefined when none is left. */
function nonEmpty<T extends object>(value: T): T | undefined {
  const defined = Object.entries(value).filter(([, v]) => v !== undefined);
  return defined.length ? (Object.fromEntries(defined) as T) : undefined;
}

function entries<V>(record: Record<string, V> | undefined, filter: FilterDefinition, map: (roomId: string, value: V) => V | undefined): Record<string, V> | undefined {
  if (!record) return undefined;
  const out: Record<string, V> = {};
  for (const [roomId, value] of Object.entries(record)) {
    if (!includesRoom(filter, roomId)) continue;
    const kept = map(roomId, value);
    if (kept) out[roomId] = kept;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The delta as the filter lets it through; undefined when nothing is left. */
export function filterDelta(delta: SyncDelta, filter: FilterDefinition | undefined): SyncDelta | undefined {
  if (!filter) return delta;
  const room = filter.room;
  const join = entries(delta.rooms?.join, filter, (_, r) => {
    const timeline = fields(keep(r.timeline, room?.timeline), filter);
    const state = fields(keep(r.state, room?.state), filter);
    const ephemeral = keep(r.ephemeral, room?.ephemeral);
    return nonEmpty({ timeline, state, ephemeral });
  });
  const invite = entries(delta.rooms?.invite, filter, (_, r) => r);
  const leave = entries(delta.rooms?.leave, filter, (_, r) => {
    const timeline = fields(keep(r.timeline, room?.timeline), filter);
    return timeline ? { ...r, timeline } : undefined;
  });
  const rooms = nonEmpty({ join, invite, leave });
  const presence = keep(delta.presence, filter.presence);
  const accountData = keep(delta.account_data, filter.account_data);
  const out: SyncDelta = {
    ...(rooms ? { rooms } : {}),
    ...(presence ? { presence } : {}),
    ...(accountData ? { account_data: accountData } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}
