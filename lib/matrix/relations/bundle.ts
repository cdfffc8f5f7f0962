// Bundled aggregations (`unsigned['m.relations']`: `m.thread` and `m.replace`) for the events of
// many rooms at once, for /sync timelines and WebSocket frames. Two phases, so a push to many
// users reads the indexes once:
// - sources (user-independent): ONE BatchGet of threadRoots + latestEdits for every event of
//   every room, then ONE BatchGet of the newest replies and edits found;
// - per viewer: visibility of those replies/edits, participation (free when the viewer wrote the
//   root or the newest reply, else a bounded scan of that root's index: thread roots only), format.
// Same rules as /messages (aggregations.ts): an edit counts when its sender is the original's and
// the original is not a state event (the newest edit only); the edit event is bundled as is.
import { getMany } from '../../core/pstate/index.ts';
import type { ClientEvent, RoomEvent } from '../events.ts';
import { roomTimeline, type TimelineEntry } from '../pstates.ts';
import { latestEdits, threadRoots } from './pstates.ts';
import { participated } from './read.ts';

export interface RoomEvents {
  roomId: string;
  events: readonly RoomEvent[];
}

interface ThreadSource {
  roomId: string;
  root: RoomEvent;
  count: number;
  latest: TimelineEntry;
}

interface EditSource {
  roomId: string;
  original: RoomEvent;
  edit: TimelineEntry;
}

export interface AggregationSources {
  threads: ThreadSource[];
  edits: EditSource[];
}

type Found = { roomId: string; event: RoomEvent; position: number; kind: 'thread'; count: number } | { roomId: string; event: RoomEvent; position: number; kind: 'edit' };

/** Which of the events are thread roots or edited, with their newest reply or edit. */
export async function readAggregationSources(rooms: readonly RoomEvents[]): Promise<AggregationSources> {
  const targets = rooms.flatMap(({ roomId, events }) => events.map((event) => ({ roomId, event })));
  if (!targets.length) return { threads: [], edits: [] };
  const editable = targets.filter((t) => t.event.state_key === undefined);
  const paths = [
    ...targets.map((t) => threadRoots.key(t.roomId).key(t.event.event_id)),
    ...editable.map((t) => latestEdits.key(t.roomId).key(t.event.event_id)),
  ];
  const values = (await getMany(paths, { consistent: true })) as ({ count?: number; latestPosition?: number; position?: number } | undefined)[];
  const found: Found[] = [];
  targets.forEach((t, i) => {
    const info = values[i];
    if (info?.latestPosition) found.push({ ...t, position: info.latestPosition, kind: 'thread', count: info.count ?? 0 });
  });
  editable.forEach((t, i) => {
    const edit = values[targets.length + i];
    if (edit?.position) found.push({ ...t, position: edit.position, kind: 'edit' });
  });
  if (!found.length) return { threads: [], edits: [] };
  const entries = (await getMany(found.map((f) => roomTimeline.key(f.roomId).key(f.position - 1)), { consistent: true })) as (TimelineEntry | undefined)[];
  const sources: AggregationSources = { threads: [], edits: [] };
  found.forEach((f, i) => {
    const entry = entries[i];
    if (!entry) return;
    if (f.kind === 'thread') sources.threads.push({ roomId: f.roomId, root: f.event, count: f.count, latest: entry });
    else if (entry.event.sender === f.event.sender) sources.edits.push({ roomId: f.roomId, original: f.event, edit: entry });
  });
  return sources;
}

export interface AggregationViewer {
  userId: string;
  /** Whether the viewer may see this entry of the room (a reply or an edit). */
  visible(roomId: string, entry: TimelineEntry): boolean | Promise<boolean>;
}

/** One event's aggregations as a viewer sees them, before formatting (per device: transaction ids). */
export interface Bundle {
  thread?: { latest: RoomEvent; count: number; participated: boolean };
  edit?: RoomEvent;
}

/** Event id → its aggregations as this viewer sees them (events with none are absent). */
export async function bundlesFor(sources: AggregationSources, viewer: AggregationViewer): Promise<Map<string, Bundle>> {
  const out = new Map<string, Bundle>();
  const bundle = (eventId: string) => {
    let b = out.get(eventId);
    if (!b) out.set(eventId, (b = {}));
    return b;
  };
  await Promise.all([
    ...sources.threads.map(async ({ roomId, root, count, latest }) => {
      if (!(await viewer.visible(roomId, latest))) return;
      const mine = root.sender === viewer.userId || latest.event.sender === viewer.userId || (await participated(roomId, root.event_id, viewer.userId));
      bundle(root.event_id).thread = { latest: latest.event, count, participated: mine };
    }),
    ...sources.edits.map(async ({ roomId, original, edit }) => {
      if (await viewer.visible(roomId, edit)) bundle(original.event_id).edit = edit.event;
    }),
  ]);
  return out;
}

/**
 * A formatted event with its bundle in `unsigned['m.relations']`; `format` formats the bundled
 * events as the event itself is formatted.
 */
export function withBundle<E extends { unsigned?: object }>(event: E, bundle: Bundle | undefined, format: (event: RoomEvent) => ClientEvent): E {
  if (!bundle) return event;
  const existing = ((event.unsigned as Record<string, unknown> | undefined)?.['m.relations'] as Record<string, unknown> | undefined) ?? {};
  const relations = {
    ...existing,
    ...(bundle.thread
      ? { 'm.thread': { latest_event: format(bundle.thread.latest), count: bundle.thread.count, current_user_participated: bundle.thread.participated } }
      : {}),
    ...(bundle.edit ? { 'm.replace': format(bundle.edit) } : {}),
  };
  return { ...event, unsigned: { ...event.unsigned, 'm.relations': relations } };
}
