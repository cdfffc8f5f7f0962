// Which timeline entries a user may see (history visibility, spec "Server behaviour"), from the
// visibility recorded with each entry and the user's membership changes by position
// (membershipHistory), so a window of events is judged without replaying the room.
import { isEventVisible, membershipAtEvent, parseHistoryVisibility } from '../history-visibility.ts';
import type { RoomEvent } from '../events.ts';

export interface MembershipChange {
  position: number;
  membership: string;
}

/** Who is reading: the user and their membership changes in the room, in position order. */
export interface Viewer {
  userId: string;
  history: readonly MembershipChange[];
}

/** The user's membership in force just before `position` (undefined: never a member by then). */
export function membershipBefore(history: readonly MembershipChange[], position: number): string | undefined {
  let membership: string | undefined;
  for (const change of history) {
    if (change.position >= position) break;
    membership = change.membership;
  }
  return membership;
}

/** Whether the user joined the room at some point after `position` (for `shared`). */
export function joinedAfter(history: readonly MembershipChange[], position: number): boolean {
  return history.some((c) => c.position > position && c.membership === 'join');
}

/** Whether `viewer` may see `event` (at its position `event.depth`), sent under `visibility`. */
export function canSee(viewer: Viewer, event: RoomEvent, visibility: string): boolean {
  const position = event.depth;
  const atEvent = membershipAtEvent(event, viewer.userId, membershipBefore(viewer.history, position));
  // The user's own leave, kick or ban stays visible to them, so a client sees the room go away.
  const own = event.type === 'm.room.member' && event.state_key === viewer.userId;
  if (own && atEvent !== 'join' && atEvent !== 'invite') return true;
  return isEventVisible({
    visibility: parseHistoryVisibility(visibility),
    membershipAtEvent: atEvent,
    joinedAfterEvent: joinedAfter(viewer.history, position),
  });
}

/**
 * The user's membership at an event as clients are told it (`unsigned.membership`, MSC4115): the
 * membership in force after the event (their own member event counts with what it sets), `leave`
 * when they were never a member by then. Synapse serves it the same way.
 */
export function membershipAt(viewer: Viewer, event: RoomEvent): string {
  return membershipAtEvent(event, viewer.userId, membershipBefore(viewer.history, event.depth)) ?? 'leave';
}

/** The user's membership now (the last change), undefined when never a member. */
export function currentMembership(history: readonly MembershipChange[]): string | undefined {
  return history[history.length - 1]?.membership;
}
