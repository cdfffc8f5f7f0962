// Bundled aggregations (`unsigned['m.relations']`) on events served to clients: `m.thread`
// ({ latest_event, count, current_user_participated }) and `m.replace` (the newest edit). Cost per
// page of events: one BatchGet on threadRoots and one on latestEdits, plus one BatchGet of the
// latest replies/edits; participation scans the thread's index only for thread roots.
// An edit counts when its sender is the original's and neither is a state event; as a first
// slice only the newest edit is considered (a newer invalid edit hides an older valid one).
import { getMany } from '../../core/pstate/index.ts';
import type { ClientEvent, RoomEvent } from '../events.ts';
import { roomTimeline, type TimelineEntry } from '../pstates.ts';
import type { RoomView } from '../timeline/access.ts';
import { readYourWrites } from '../timeline/consistency.ts';
import { clientEvents, type Requester } from '../timeline/format.ts';
import { canSee } from '../timeline/visibility.ts';
import { latestEdits } from './pstates.ts';
import { threadSummaries } from './read.ts';

async function latestValidEdits(view: RoomView, requester: Requester, events: readonly RoomEvent[]): Promise<Map<string, ClientEvent>> {
  const out = new Map<string, ClientEvent>();
  const candidates = events.filter((e) => e.state_key === undefined);
  if (!candidates.length) return out;
  const edits = await getMany(candidates.map((e) => latestEdits.key(view.roomId).key(e.event_id)), readYourWrites);
  const found = candidates.flatMap((original, i) => {
    const edit = edits[i];
    return edit?.position && edit.position <= view.readableUpTo ? [{ original, position: edit.position }] : [];
  });
  if (!found.length) return out;
  const entries = (await getMany(found.map((f) => roomTimeline.key(view.roomId).key(f.position - 1)), readYourWrites)) as (TimelineEntry | undefined)[];
  found.forEach(({ original }, i) => {
    const entry = entries[i];
    if (!entry || entry.event.sender !== original.sender || !canSee(view.viewer, entry.event, entry.visibility)) return;
    out.set(original.event_id, clientEvents([entry.event], requester, Date.now(), view.viewer)[0]!);
  });
  return out;
}

/** `formatted` (clientEvents of `events`, same order) with their bundled aggregations added. */
export async function withAggregations(view: RoomView, requester: Requester, events: readonly RoomEvent[], formatted: ClientEvent[]): Promise<ClientEvent[]> {
  if (!events.length) return formatted;
  const [threads, edits] = await Promise.all([threadSummaries(view, requester, events), latestValidEdits(view, requester, events)]);
  if (!threads.size && !edits.size) return formatted;
  return formatted.map((event) => {
    const thread = threads.get(event.event_id);
    const edit = edits.get(event.event_id);
    if (!thread && !edit) return event;
    const existing = (event.unsigned?.['m.relations'] as Record<string, unknown> | undefined) ?? {};
    const bundled = { ...existing, ...(thread ? { 'm.thread': thread } : {}), ...(edit ? { 'm.replace': edit } : {}) };
    return { ...event, unsigned: { ...event.unsigned, 'm.relations': bundled } };
  });
}
