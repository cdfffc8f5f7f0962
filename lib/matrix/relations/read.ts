// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /rooms/{roomId}/threads,
// plus the m.thread bundled aggregation. Reads go through the relation indexes, then fetch the
// child events from the timeline and apply the same visibility rules as /messages (canSee, the
// viewer's readable range). Tokens are timeline position tokens (`p<n>`), so a /messages or /sync
// token is a valid `from`/`to` as the spec allows.
// Cost: one Query page per 200 index entries (at most SCAN_BUDGET looked at per request) and one
// BatchGet of the candidate events per page.
import { getMany } from '../../core/pstate/index.ts';
import type { ClientEvent, RoomEvent } from '../events.ts';
import { invalidParam } from '../errors.ts';
import { roomTimeline, type TimelineEntry } from '../pstates.ts';
import { positionToken } from '../tokens.ts';
import type { RoomView } from '../timeline/access.ts';
import { readYourWrites } from '../timeline/consistency.ts';
import { visibleEntry } from '../timeline/visible-entry.ts';
import { clientEvents, type Requester } from '../timeline/format.ts';
import { SCAN_BUDGET } from '../timeline/paginate.ts';
import { canSee } from '../timeline/visibility.ts';
import { relations, threadRoots } from './pstates.ts';

export const DEFAULT_RELATIONS_LIMIT = 50;
export const MAX_RELATIONS_LIMIT = 1000;
/** Thread roots read for one /threads request (sorted in memory by newest reply). */
export const MAX_THREADS_SCANNED = 1000;

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  dir: 'b' | 'f';
  from?: number;
  to?: number;
  limit: number;
}

export interface RelationsPage {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
}

interface IndexEntry {
  eventId: string;
  relType: string;
  type: string;
  sender: string;
  position: number;
}

/** One parent's index entries, newest first (dir b) or oldest first (dir f), lazily by pages. */
async function* indexEntries(roomId: string, parentId: string, reverse: boolean): AsyncGenerator<IndexEntry[]> {
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await relations.key(roomId).key(parentId).range({ reverse, limit: 200, ...readYourWrites, ...(cursor ? { cursor } : {}) });
    scanned += page.entries.length;
    yield page.entries.map(([, e]) => ({ eventId: e.eventId ?? '', relType: e.relType ?? '', type: e.type ?? '', sender: e.sender ?? '', position: e.position ?? 0 }));
    cursor = scanned < SCAN_BUDGET ? page.cursor : undefined;
  } while (cursor);
}

async function timelineEntries(roomId: string, positions: readonly number[]): Promise<(TimelineEntry | undefined)[]> {
  if (!positions.length) return [];
  return (await getMany(positions.map((p) => roomTimeline.key(roomId).key(p - 1)), readYourWrites)) as (TimelineEntry | undefined)[];
}

/** The visible child events of `parentId`, a page at a time. 404 when the parent is not visible. */
export async function relatingEvents(view: RoomView, requester: Requester, parentId: string, query: RelationsQuery): Promise<RelationsPage> {
  await visibleEntry(view, parentId);
  const backwards = query.dir === 'b';
  const inRange = (position: number) =>
    position <= view.readableUpTo &&
    (backwards
      ? (query.from === undefined || position <= query.from) && (query.to === undefined || position > query.to)
      : (query.from === undefined || position > query.from) && (query.to === undefined || position <= query.to));
  const kept: RoomEvent[] = [];
  let more = false;
  outer: for await (const page of indexEntries(view.roomId, parentId, backwards)) {
    const candidates = page.filter(
      (e) => inRange(e.position) && (query.relType === undefined || e.relType === query.relType) && (query.eventType === undefined || e.type === query.eventType),
    );
    const entries = await timelineEntries(view.roomId, candidates.map((c) => c.position));
    for (const entry of entries) {
      if (!entry || !canSee(view.viewer, entry.event, entry.visibility)) continue;
      if (kept.length === query.limit) {
        more = true;
        break outer;
      }
      kept.push(entry.event);
    }
  }
  const last = kept[kept.length - 1];
  const next = more && last ? positionToken(backwards ? last.depth - 1 : last.depth) : undefined;
  return {
    chunk: clientEvents(kept, requester, Date.now(), view.viewer),
    ...(next !== undefined ? { next_batch: next } : {}),
    ...(query.from !== undefined ? { prev_batch: positionToken(query.from) } : {}),
  };
}

export interface ThreadSummary {
  latest_event: ClientEvent;
  count: number;
  current_user_participated: boolean;
}

/** Whether `userId` replied in the thread (scans the root's relations, bounded). */
export async function participated(roomId: string, rootId: string, userId: string): Promise<boolean> {
  for await (const page of indexEntries(roomId, rootId, true)) {
    if (page.some((e) => e.relType === 'm.thread' && e.sender === userId)) return true;
  }
  return false;
}

/**
 * The m.thread aggregation of each of `roots` the viewer may see the latest reply of (roots that
 * are not thread roots are absent from the result).
 */
export async function threadSummaries(view: RoomView, requester: Requester, roots: readonly RoomEvent[]): Promise<Map<string, ThreadSummary>> {
  const out = new Map<string, ThreadSummary>();
  if (!roots.length) return out;
  const infos = await getMany(roots.map((r) => threadRoots.key(view.roomId).key(r.event_id)), readYourWrites);
  const threads = roots.flatMap((root, i) => {
    const info = infos[i];
    return info?.latestPosition && info.latestPosition <= view.readableUpTo ? [{ root, info }] : [];
  });
  const latest = await timelineEntries(view.roomId, threads.map((t) => t.info.latestPosition!));
  await Promise.all(
    threads.map(async ({ root, info }, i) => {
      const entry = latest[i];
      if (!entry || !canSee(view.viewer, entry.event, entry.visibility)) return;
      const mine = root.sender === requester.userId || (await participated(view.roomId, root.event_id, requester.userId));
      out.set(root.event_id, { latest_event: clientEvents([entry.event], requester, Date.now(), view.viewer)[0]!, count: info.count ?? 0, current_user_participated: mine });
    }),
  );
  return out;
}

export interface ThreadsQuery {
  include: 'all' | 'participated';
  /** Only threads whose newest reply is before this position. */
  from?: number;
  limit: number;
}

export interface ThreadsPage {
  chunk: ClientEvent[];
  next_batch?: string;
}

/** Thread roots newest reply first, with their m.thread aggregation. */
export async function listThreads(view: RoomView, requester: Requester, query: ThreadsQuery): Promise<ThreadsPage> {
  const all: { rootId: string; latestPosition: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await threadRoots.key(view.roomId).range({ limit: 500, ...readYourWrites, ...(cursor ? { cursor } : {}) });
    for (const [rootId, info] of page.entries) all.push({ rootId, latestPosition: info.latestPosition ?? 0 });
    cursor = all.length < MAX_THREADS_SCANNED ? page.cursor : undefined;
  } while (cursor);
  const ordered = all
    .filter((t) => t.latestPosition <= view.readableUpTo && (query.from === undefined || t.latestPosition < query.from))
    .sort((a, b) => b.latestPosition - a.latestPosition || (a.rootId < b.rootId ? -1 : 1));
  const chunk: ClientEvent[] = [];
  let next: string | undefined;
  for (let i = 0; i < ordered.length && chunk.length < query.limit; i += query.limit) {
    const batch = ordered.slice(i, i + query.limit);
    const roots = await Promise.all(batch.map((t) => visibleEntry(view, t.rootId).then((e) => e.event, () => undefined)));
    const visible = roots.filter((r): r is RoomEvent => r !== undefined);
    const summaries = await threadSummaries(view, requester, visible);
    for (const [j, t] of batch.entries()) {
      const root = roots[j];
      const summary = root ? summaries.get(root.event_id) : undefined;
      if (!root || !summary || (query.include === 'participated' && !summary.current_user_participated)) continue;
      if (chunk.length === query.limit) break;
      const [formatted] = clientEvents([root], requester, Date.now(), view.viewer);
      chunk.push({ ...formatted!, unsigned: { ...formatted!.unsigned, 'm.relations': { 'm.thread': summary } } });
      if (chunk.length === query.limit && (j < batch.length - 1 || i + query.limit < ordered.length)) next = `t${t.latestPosition}`;
    }
  }
  return { chunk, ...(next !== undefined ? { next_batch: next } : {}) };
}

/** A /threads `from` token (`t<position>`). */
export function decodeThreadsToken(token: string): number {
  const match = /^t([0-9]{1,15})$/.exec(token);
  if (!match) throw invalidParam('from is not a valid threads token');
  return Number(match[1]);
}

