// Unread notification counts (Client-Server "Receiving notifications", /sync unread_notifications):
// what one event does to a member's counts and what a read receipt does to them. Pure: the
// rooms topology and the ephemeral fold apply it (lib/matrix/notifications).
import type { RoomEvent } from './events.ts';
import { userLevel, type PowerLevels } from './power-levels.ts';
import { evaluatePushRules, highlights, notifies, type PushContext } from './push-evaluator.ts';
import type { PushAction, PushRuleset } from './push-rules.ts';

/** A member's counts in a room, and how far they reach (see the notificationCounts PState). */
export interface UnreadCounts {
  notifications: number;
  highlights: number;
  /** Newest room position accounted for: the last counted event, or the read receipt. */
  position: number;
  /** Newest read receipt position folded in. */
  readPosition: number;
}

/** What the room tells the push rules about one event (read once per event, not per member). */
export interface RoomPushFacts {
  memberCount: number;
  powerLevels: PowerLevels;
  /** Joined member → display name in the room (contains_display_name). */
  displayNames: ReadonlyMap<string, string | undefined>;
}

export interface EventNotification {
  actions: PushAction[];
  highlight: boolean;
}

export function pushContextFor(userId: string, sender: string, facts: RoomPushFacts): PushContext {
  const displayName = facts.displayNames.get(userId);
  return {
    userId,
    ...(displayName ? { displayName } : {}),
    memberCount: facts.memberCount,
    senderPowerLevel: userLevel(facts.powerLevels, sender),
    notificationLevels: facts.powerLevels.notifications,
  };
}

/**
 * Whether the event notifies the member, by the member's rules: undefined when it does not (no
 * `notify` action; the sender's own events never notify). A highlight counts only with a notify.
 */
export function eventNotification(ruleset: PushRuleset, event: RoomEvent, userId: string, facts: RoomPushFacts): EventNotification | undefined {
  if (event.sender === userId) return undefined;
  const actions = evaluatePushRules(ruleset, event, pushContextFor(userId, event.sender, facts));
  if (!notifies(actions)) return undefined;
  return { actions, highlight: highlights(actions) };
}

/** Receipts that clear counts: unthreaded or on the main timeline (thread counts are not kept). */
export function clearsRoomCounts(threadId: string): boolean {
  return threadId === '' || threadId === 'main';
}

export type ReceiptEffect =
  /** The receipt is not past what is already read: nothing changes. */
  | { kind: 'none' }
  /** Nothing counted lies after the receipt: the counts become these. */
  | { kind: 'set'; counts: UnreadCounts }
  /** Events after the receipt were counted: count again the events in (from, to]. */
  | { kind: 'recount'; from: number; to: number };

/** What a read receipt at `readPosition` does to the stored counts. */
export function receiptEffect(stored: UnreadCounts | undefined, readPosition: number): ReceiptEffect {
  if (stored && readPosition <= stored.readPosition) return { kind: 'none' };
  if (!stored || stored.position <= readPosition) {
    return { kind: 'set', counts: { notifications: 0, highlights: 0, position: readPosition, readPosition } };
  }
  return { kind: 'recount', from: readPosition, to: stored.position };
}

/** The counts after a recount of (readPosition, position]: what the events there give. */
export function recountedCounts(
  stored: UnreadCounts,
  readPosition: number,
  notifications: readonly (EventNotification | undefined)[],
): UnreadCounts {
  const notifying = notifications.filter((n): n is EventNotification => n !== undefined);
  return {
    notifications: notifying.length,
    highlights: notifying.filter((n) => n.highlight).length,
    position: stored.position,
    readPosition,
  };
}

/** The /sync `unread_notifications` of stored counts (none stored: zero). */
export function unreadNotifications(stored: Partial<UnreadCounts> | undefined): { notification_count: number; highlight_count: number } {
  return { notification_count: stored?.notifications ?? 0, highlight_count: stored?.highlights ?? 0 };
}
