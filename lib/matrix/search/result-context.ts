// A search result's `context` (event_context): the events before (newest first) and after it that
// the user may see, pagination tokens at both ends, and with `include_profile` the senders' profiles
// as their member events were at the last event returned (Synapse's _calculate_event_contexts).
import type { ClientEvent, RoomEvent } from '../events.ts';
import { positionToken } from '../tokens.ts';
import type { RoomView } from '../timeline/access.ts';
import { clientEvents, type Requester } from '../timeline/format.ts';
import { memberEventsAt } from '../timeline/messages.ts';
import { walkTimeline } from '../timeline/paginate.ts';
import { paginationWindow } from '../timeline/window.ts';

export interface ContextRequest {
  beforeLimit: number;
  afterLimit: number;
  includeProfile: boolean;
}

export interface ResultContext {
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  start: string;
  end: string;
  profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
}

export async function resultContext(view: RoomView, requester: Requester, event: RoomEvent, request: ContextRequest, now: number): Promise<ResultContext> {
  const position = event.depth;
  const walk = (dir: 'b' | 'f', limit: number) => {
    const from = dir === 'b' ? position - 1 : position;
    return limit > 0 ? walkTimeline(view.roomId, view.viewer, paginationWindow({ dir, from }, view.readableUpTo), limit, undefined, from) : undefined;
  };
  const [before, after] = await Promise.all([walk('b', request.beforeLimit), walk('f', request.afterLimit)]);
  const context: ResultContext = {
    events_before: clientEvents(before?.events ?? [], requester, now, view.viewer),
    events_after: clientEvents(after?.events ?? [], requester, now, view.viewer),
    start: before?.edge ?? positionToken(position - 1),
    end: after?.edge ?? positionToken(position),
  };
  if (request.includeProfile) {
    const around = [...(before?.events ?? []), event, ...(after?.events ?? [])];
    const last = around.reduce((max, e) => Math.max(max, e.depth), position);
    const members = await memberEventsAt(view.roomId, around.map((e) => e.sender), last);
    context.profile_info = Object.fromEntries(
      members.map((m) => {
        const { displayname, avatar_url: avatarUrl } = m.content;
        return [m.state_key!, { ...(typeof displayname === 'string' ? { displayname } : {}), ...(typeof avatarUrl === 'string' ? { avatar_url: avatarUrl } : {}) }];
      }),
    );
  }
  return context;
}
