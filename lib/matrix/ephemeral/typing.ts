// Typing notifications: who is typing in a room, as user id → until when (epoch ms). Pure rules;
// the microbatch fold applies them to a whole batch, sync and pushes read the result.

/** As Synapse: a typing request without `timeout` lasts 30 s, and no request lasts over 120 s. */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;
export const MAX_TYPING_TIMEOUT_MS = 120_000;

export type TypingSet = Readonly<Record<string, number>>;

export function clampTypingTimeout(timeout: number | undefined): number {
  if (timeout === undefined) return DEFAULT_TYPING_TIMEOUT_MS;
  return Math.max(0, Math.min(MAX_TYPING_TIMEOUT_MS, Math.floor(timeout)));
}

export interface TypingUpdate {
  userId: string;
  typing: boolean;
  timeoutMs: number;
  /** When the update entered the depot (epoch ms): the timeout runs from there. */
  at: number;
}

/**
 * Apply updates in depot order: the latest update of a user wins; stopping removes the user; and
 * users whose time ran out by `now` are dropped, so the stored set stays small.
 */
export function applyTypingUpdates(current: TypingSet, updates: readonly TypingUpdate[], now: number): Record<string, number> {
  const next: Record<string, number> = { ...current };
  for (const u of updates) {
    if (u.typing && u.timeoutMs > 0) next[u.userId] = u.at + u.timeoutMs;
    else delete next[u.userId];
  }
  for (const [userId, until] of Object.entries(next)) if (until <= now) delete next[userId];
  return next;
}

/** Who is typing at `now`, sorted (a stable order makes equal sets compare equal). */
export function typingUsers(set: TypingSet | undefined, now: number): string[] {
  return Object.entries(set ?? {})
    .filter(([, until]) => until > now)
    .map(([userId]) => userId)
    .sort();
}

/** Whether somebody's typing ran out in (after, upTo]: a sync since `after` must tell the client. */
export function expiredBetween(set: TypingSet | undefined, after: number, upTo: number): boolean {
  return Object.values(set ?? {}).some((until) => until > after && until <= upTo);
}

export function sameUsers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((u, i) => u === b[i]);
}

export function typingEvent(userIds: readonly string[]) {
  return { type: 'm.typing', content: { user_ids: [...userIds] } };
}
