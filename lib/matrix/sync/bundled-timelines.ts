// The timelines of one sync response get their bundled aggregations (m.thread, m.replace) in one
// batch: each room registers its window while the response is assembled, and once all rooms are
// known the timelines are formatted together (lib/matrix/relations/bundle.ts: one BatchGet of the
// relation indexes for every event of the response, one of the replies and edits found).
import { toClientEvent, type ClientEvent, type RoomEvent } from '../events.ts';
import { selectEventFields, type FilterDefinition } from '../filters.ts';
import type { TimelineEntry } from '../pstates.ts';
import { bundlesFor, readAggregationSources, withBundle } from '../relations/bundle.ts';

/** A room's timeline in a sync response. */
export interface TimelineSection {
  events: Partial<ClientEvent>[];
  limited: boolean;
  prev_batch?: string;
}

interface PendingTimeline {
  roomId: string;
  events: readonly RoomEvent[];
  /** Whether the viewer may see a reply or edit of this room. */
  visible: (entry: TimelineEntry) => Promise<boolean>;
  /** The viewer's membership at an event of `events` (`unsigned.membership`, MSC4115). */
  membershipAt: (event: RoomEvent) => Promise<string>;
  /** Its `events` are filled by `format`. */
  section: TimelineSection;
}

export interface TimelineViewer {
  userId: string;
  deviceId: string;
  now: number;
  filter: FilterDefinition;
}

export class SyncTimelines {
  private readonly pending: PendingTimeline[] = [];

  add(timeline: PendingTimeline): void {
    this.pending.push(timeline);
  }

  /** Format every registered timeline with its events' aggregations. */
  async format(viewer: TimelineViewer): Promise<void> {
    const pending = this.pending.splice(0);
    if (!pending.length) return;
    const visibleIn = new Map(pending.map((p) => [p.roomId, p.visible]));
    const format = (event: RoomEvent, membership?: string) =>
      toClientEvent(event, { now: viewer.now, requester: { user_id: viewer.userId, device_id: viewer.deviceId }, omitRoomId: true, ...(membership !== undefined ? { membership } : {}) });
    const sources = await readAggregationSources(pending.map((p) => ({ roomId: p.roomId, events: p.events })));
    const bundles = await bundlesFor(sources, {
      userId: viewer.userId,
      visible: (roomId, entry) => visibleIn.get(roomId)?.(entry) ?? false,
    });
    const memberships = await Promise.all(pending.map((p) => Promise.all(p.events.map((event) => p.membershipAt(event)))));
    pending.forEach((p, i) => {
      p.section.events = p.events.map((event, j) =>
        selectEventFields(withBundle(format(event, memberships[i]![j]), bundles.get(event.event_id), (e) => format(e)), viewer.filter.event_fields),
      );
    });
  }
}
