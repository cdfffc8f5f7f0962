// Unread notification counts (Client-Server "Receiving notifications", /sync unread_notifications),
// kept as a room tally plus per-member exceptions so that a message costs O(1 + exceptions)
// writes, not one per member:
//   - base(e): what event e does for an ordinary member (the server's default rules, not the
//     sender, not mentioned, not the invite target, no display name match; room-level facts apply);
//   - the room's tally: Σ base(e) over the events counted so far;
//   - a member's item: a baseline (the tally at their join or last read receipt) and a delta,
//     Σ (own(e) − base(e)) over the events after it where their outcome differs;
//   - their count = tally − baseline + delta, never below 0.
// Pure: the rooms topology and the ephemeral fold apply it (lib/matrix/notifications).
import type { RoomEvent } from './events.ts';
import { userLevel, type PowerLevels } from './power-levels.ts';
import { evaluatePushRules, highlights, notifies, type PushContext } from './push-evaluator.ts';
import { defaultPushRules, type PushAction, type PushRuleset } from './push-rules.ts';

/** Notifications and highlights: an event's outcome (0/1 each), a sum of them, or a difference. */
export interface Counts {
  notifications: number;
  highlights: number;
}

/** The room's tally: cumulative base counts up to `position` (the last event counted). */
export interface Tally extends Counts {
  position: number;
}

/** A member's stored counts in a room (see the notificationCounts PState); absent fields read as 0. */
export interface MemberCounts extends Counts {
  /** The tally at the member's start (join or read receipt). */
  baseNotifications: number;
  baseHighlights: number;
  /** Newest room position whose exceptions are accounted for. */
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

export const ZERO: Counts = { notifications: 0, highlights: 0 };

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

/**
 * The ordinary member base(e) is evaluated for: not a user id (no `@`), so no event's sender,
 * state key or display name is theirs. An event that names it anyway only costs exception
 * writes: counts stay exact whatever base says, as every member's difference to it is kept.
 */
export const ORDINARY_MEMBER = '\u0000ordinary member';
const ordinaryRules = defaultPushRules(ORDINARY_MEMBER);

/** base(e): the event's outcome for an ordinary member of the room. */
export function baseNotification(event: RoomEvent, facts: RoomPushFacts): EventNotification | undefined {
  return eventNotification(ordinaryRules, event, ORDINARY_MEMBER, facts);
}

/** An outcome as counts. */
export function countsOf(n: EventNotification | undefined): Counts {
  return n ? { notifications: 1, highlights: n.highlight ? 1 : 0 } : ZERO;
}

export const plus = (a: Counts, b: Counts): Counts => ({ notifications: a.notifications + b.notifications, highlights: a.highlights + b.highlights });
export const minus = (a: Counts, b: Counts): Counts => ({ notifications: a.notifications - b.notifications, highlights: a.highlights - b.highlights });
export const isZero = (c: Counts): boolean => c.notifications === 0 && c.highlights === 0;

/** The users an event makes join (a join over a join is a profile change, not a join). */
export function joinedBy(event: RoomEvent): string | undefined {
  if (event.type !== 'm.room.member' || event.state_key === undefined || event.content.membership !== 'join') return undefined;
  return event.unsigned?.prev_content?.membership === 'join' ? undefined : event.state_key;
}

/** A member whose outcome over a record's events differs from the base: the difference. */
export interface MemberException extends Counts {
  userId: string;
}

/** What one rooms record does to the counts. */
export interface RecordCounts {
  /** Positions of the record's first and last events (the guards of every write). */
  first: number;
  last: number;
  /** Σ base over the record's events: the tally's increment. */
  base: Counts;
  /** Members (joined after the record, not joining in it) whose outcome differs, with the difference; senders first. */
  exceptions: MemberException[];
  /** Members the record makes join: their baseline becomes the tally after the record. */
  joiners: string[];
}

/**
 * Base and exceptions of a record's events (non-empty, ascending) over the members joined after
 * it. `own` is a member's outcome by their rules, `base` the ordinary member's.
 */
export function countRecord(
  events: readonly RoomEvent[],
  members: readonly string[],
  own: (event: RoomEvent, userId: string) => EventNotification | undefined,
  base: (event: RoomEvent) => EventNotification | undefined,
): RecordCounts {
  const bases = events.map((e) => countsOf(base(e)));
  const joined = new Set(events.map(joinedBy).filter((u): u is string => u !== undefined));
  const joiners = members.filter((u) => joined.has(u));
  const exceptions: MemberException[] = [];
  for (const userId of members) {
    if (joined.has(userId)) continue;
    let diff = ZERO;
    events.forEach((e, i) => {
      diff = plus(diff, minus(countsOf(own(e, userId)), bases[i]!));
    });
    if (!isZero(diff)) exceptions.push({ userId, ...diff });
  }
  // Senders first: past one transaction's items, theirs still land with the tally.
  const senders = new Set(events.map((e) => e.sender));
  exceptions.sort((a, b) => Number(senders.has(b.userId)) - Number(senders.has(a.userId)));
  return { first: events[0]!.depth, last: events.at(-1)!.depth, base: bases.reduce(plus, ZERO), exceptions, joiners };
}

/**
 * A member's unread counts: tally − baseline + exceptions, never below 0. No item: 0 — every
 * member gets one (their baseline) when their join is counted, so none means the join is not
 * counted yet (a sync between a join's watermark and its counting), not "since the room began".
 */
export function unreadCounts(tally: Partial<Tally> | undefined, member: Partial<MemberCounts> | undefined): Counts {
  if (!member) return ZERO;
  const count = (t = 0, base = 0, delta = 0) => Math.max(0, t - base + delta);
  return {
    notifications: count(tally?.notifications, member?.baseNotifications, member?.notifications),
    highlights: count(tally?.highlights, member?.baseHighlights, member?.highlights),
  };
}

/** The /sync `unread_notifications` of counts. */
export function unreadNotifications(counts: Counts): { notification_count: number; highlight_count: number } {
  return { notification_count: counts.notifications, highlight_count: counts.highlights };
}

/** Receipts that clear counts: unthreaded or on the main timeline (thread counts are not kept). */
export function clearsRoomCounts(threadId: string): boolean {
  return threadId === '' || threadId === 'main';
}

/**
 * The events a read receipt at `readPosition` must evaluate: (from, to], of which only the newest
 * `limit` are read (older unread events beyond them are not counted). `to` is the furthest of the
 * tally, the member's exceptions and the receipt; `from` the nearer of the receipt and the tally.
 * undefined: the receipt is not past the one folded, nothing changes.
 */
export function receiptWindow(
  member: Partial<MemberCounts> | undefined,
  tally: Partial<Tally> | undefined,
  readPosition: number,
  limit: number,
): { from: number; to: number } | undefined {
  if (readPosition <= (member?.readPosition ?? 0)) return undefined;
  const tallied = tally?.position ?? 0;
  const to = Math.max(tallied, member?.position ?? 0, readPosition);
  return { from: Math.max(Math.min(readPosition, tallied), to - limit), to };
}

/** One evaluated event of a receipt's window: its position, the reader's outcome and the base. */
export interface EvaluatedEvent {
  position: number;
  own: EventNotification | undefined;
  base: EventNotification | undefined;
}

/**
 * The member's counts after a read receipt at `readPosition`, from the tally read first and the
 * events of `receiptWindow` evaluated after it. The baseline becomes the tally at the receipt:
 * the tally minus the base of the events after the receipt it holds, or plus the base of the
 * read events it does not hold yet (the rooms topology will add them). The exceptions become
 * those of the events after the receipt; `position` the window's end, so the topology adds only
 * the exceptions of later events.
 */
export function countsAfterReceipt(
  tally: Partial<Tally> | undefined,
  readPosition: number,
  window: { to: number },
  events: readonly EvaluatedEvent[],
): MemberCounts {
  const tallied = tally?.position ?? 0;
  let baseline: Counts = { notifications: tally?.notifications ?? 0, highlights: tally?.highlights ?? 0 };
  let delta = ZERO;
  for (const e of events) {
    const base = countsOf(e.base);
    if (e.position > readPosition && e.position <= tallied) baseline = minus(baseline, base);
    if (e.position <= readPosition && e.position > tallied) baseline = plus(baseline, base);
    if (e.position > readPosition) delta = plus(delta, minus(countsOf(e.own), base));
  }
  return {
    notifications: delta.notifications,
    highlights: delta.highlights,
    baseNotifications: baseline.notifications,
    baseHighlights: baseline.highlights,
    position: window.to,
    readPosition,
  };
}
