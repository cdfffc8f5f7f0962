// History visibility (Client-Server spec, "History visibility" → server behaviour): whether a
// user may see one event, from the visibility in force at the event and the user's membership.
import type { EventLike } from './room-state.ts';

export type HistoryVisibility = 'invited' | 'joined' | 'shared' | 'world_readable';

export const HISTORY_VISIBILITIES: readonly HistoryVisibility[] = ['invited', 'joined', 'shared', 'world_readable'];

export function parseHistoryVisibility(value: unknown): HistoryVisibility {
  // Absent or unknown values count as `shared` (spec).
  return typeof value === 'string' && (HISTORY_VISIBILITIES as readonly string[]).includes(value)
    ? (value as HistoryVisibility)
    : 'shared';
}

export interface VisibilityContext {
  /** The history visibility in force at the event (state before it). */
  visibility: HistoryVisibility;
  /** The user's membership at the event; see membershipAtEvent. Undefined: never a member. */
  membershipAtEvent: string | undefined;
  /** Whether the user joined the room at some point after the event (for `shared`). */
  joinedAfterEvent: boolean;
}

/**
 * The user's membership "at" an event: the membership in force before it, except that the
 * user's own membership event counts with the membership it sets (so a user sees their own
 * join, and an invitee sees their invite) — as Synapse does.
 */
export function membershipAtEvent(event: EventLike, userId: string, membershipBefore: string | undefined): string | undefined {
  if (event.type === 'm.room.member' && event.state_key === userId && typeof event.content.membership === 'string') {
    return event.content.membership;
  }
  return membershipBefore;
}

/** The spec's five steps, in order. */
export function isEventVisible(context: VisibilityContext): boolean {
  // 1. world_readable
  if (context.visibility === 'world_readable') return true;
  // 2. a member at the time
  if (context.membershipAtEvent === 'join') return true;
  // 3. shared, and the user joined at some point after the event
  if (context.visibility === 'shared' && context.joinedAfterEvent) return true;
  // 4. invited at the time, and the visibility is `invited`
  if (context.membershipAtEvent === 'invite' && context.visibility === 'invited') return true;
  // 5.
  return false;
}

/**
 * Filters one room's events (in timeline order) for a user. `visibilityBefore` and
 * `membershipBefore` give the state just before the first event; both are advanced through
 * the events. `currentlyJoined` stands for "joined at some point after" in `shared` rooms.
 * The user's own leave is always visible so a client sees the room go away.
 */
export function filterVisibleEvents<E extends EventLike>(
  events: readonly E[],
  userId: string,
  start: { visibilityBefore: HistoryVisibility; membershipBefore: string | undefined; currentlyJoined: boolean },
): E[] {
  let visibility = start.visibilityBefore;
  let membership = start.membershipBefore;
  // A later join (after the event) is known either from the user's current membership or
  // from a join found further along in this window; scan backwards to know it per event.
  const joinedAfter: boolean[] = new Array(events.length);
  let joinSeen = start.currentlyJoined;
  for (let i = events.length - 1; i >= 0; i--) {
    joinedAfter[i] = joinSeen;
    const e = events[i]!;
    if (e.type === 'm.room.member' && e.state_key === userId && e.content.membership === 'join') joinSeen = true;
  }
  const visible: E[] = [];
  events.forEach((event, i) => {
    const atEvent = membershipAtEvent(event, userId, membership);
    const ownLeave = event.type === 'm.room.member' && event.state_key === userId && atEvent !== 'join' && atEvent !== 'invite';
    if (ownLeave || isEventVisible({ visibility, membershipAtEvent: atEvent, joinedAfterEvent: joinedAfter[i]! })) {
      visible.push(event);
    }
    if (event.type === 'm.room.history_visibility' && event.state_key === '') {
      visibility = parseHistoryVisibility(event.content.history_visibility);
    }
    if (event.type === 'm.room.member' && event.state_key === userId) {
      membership = typeof event.content.membership === 'string' ? event.content.membership : membership;
    }
  });
  return visible;
}
