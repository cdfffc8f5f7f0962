// Long-polling: when a sync pass has nothing to deliver, wait until the user's wake count moves
// (lib/matrix/sync/wake.ts) and run the pass again. How the waiting learns that it moved is the
// WakeSource's business: the sync function polls the wake item (one consistent GetItem per
// interval, whatever the number of rooms); the sync service is told by notices
// (lib/matrix/sync/service/). The wake item is read BEFORE the first pass: a bump committed after
// that read is seen by the waiting, one before it is covered by the pass (its commit precedes the cut).
//
// The first pass is skipped when the token says nothing can have happened since it was made: the
// token carries the wake count read before the pass that made it and until when the user's
// long-poll registration was valid then (`wake`). If the count is unchanged and the registration
// has been valid ever since, every sync-visible commit after that pass's cut would have bumped
// the count (the same rule the waiting relies on, lib/matrix/sync/wake.ts), so the pass would be
// empty: the poll goes straight to waiting. A client that polls again right after each answer
// then costs one pass per answer instead of two.
import type { SyncParams, SyncPass } from './assemble.ts';
import { syncOnce } from './assemble.ts';
import { keyCountsForSync } from '../keys/sync.ts';
import type { WakeMark } from './token.ts';
import { goOnline, needsRenewal, ONLINE_TTL_MS, readWake, WAKE_POLL_INTERVAL_MS, type WakeState } from './wake.ts';
import { sleep } from '../../core/backoff.ts';

/** Never wait longer than this: API Gateway answers 504 after 30 s. */
export const MAX_WAIT_MS = 25_000;
/** Time kept for the last pass and the response before the function's own timeout. */
const RESPONSE_RESERVE_MS = 3_000;
/** A registration counts as valid only this long before it ends (clocks of different functions). */
const CLOCK_MARGIN_MS = 10_000;


/** The wake count once it moved past `seen`, with the pass run for it if the source ran one. */
export interface Woken {
  wakes: number;
  pass?: AnsweringPass;
}

/** A pass, with the device's key counts when they were read with it (`wokenPassWithKeyCounts`). */
export type AnsweringPass = SyncPass & { keyCounts?: KeyCounts };

/** How a waiting long-poll learns that the user's wake count moved. */
export interface WakeSource {
  /** Resolves once the count is no longer `seen` (undefined at `deadline`, or when told to stop). */
  next(seen: number, deadline: number): Promise<Woken | undefined>;
  /**
   * The user's wake state as the wait starts, when the source knows it without a read that would
   * see less (the sync service, lib/matrix/sync/service/known-wakes.ts); else the item is read.
   */
  wakeState?(userId: string): Promise<WakeState>;
  /** The wait registered the user as long-polling until `until` (goOnline). */
  registered?(userId: string, until: number): void;
}

/** The sync function's source: the wake item read every WAKE_POLL_INTERVAL_MS. */
export function pollingWakeSource(userId: string): WakeSource {
  return {
    async next(seen, deadline) {
      for (let now = Date.now(); now < deadline; now = Date.now()) {
        await sleep(Math.min(WAKE_POLL_INTERVAL_MS, deadline - now));
        const current = await readWake(userId);
        if (current.wakes !== seen) return { wakes: current.wakes };
      }
      return undefined;
    },
  };
}

/**
 * The device's key counts go in once, as they are when the response is sent (lib/matrix/keys/sync.ts):
 * a pass found empty does not read them, and a poll that times out does not answer those of its start.
 */
export async function withKeyCounts(params: SyncParams, pass: Promise<AnsweringPass>): Promise<SyncPass> {
  const { keyCounts, ...answer } = await pass;
  Object.assign(answer.body, keyCounts ?? (await keyCountsForSync(params.userId, params.deviceId)));
  return answer;
}

/** The device's key counts, as a sync answers them. */
export type KeyCounts = Awaited<ReturnType<typeof keyCountsForSync>>;

/**
 * A woken pass with the device's key counts read at the same time (a woken pass is usually
 * answered: one round trip less before the answer; read after the wake as withKeyCounts' are).
 */
export async function wokenPassWithKeyCounts(params: SyncParams, pass: () => Promise<SyncPass>): Promise<SyncPass & { keyCounts: KeyCounts }> {
  const [answer, keyCounts] = await Promise.all([pass(), keyCountsForSync(params.userId, params.deviceId)]);
  return { ...answer, keyCounts };
}

/** The sync function's long-poll (a SyncWait, lib/matrix/sync/operation.ts). */
export function syncWithWait(params: SyncParams, timeoutMs: number, remainingTimeMs: () => number): Promise<SyncPass> {
  return withKeyCounts(params, longPoll(params, timeoutMs, remainingTimeMs, pollingWakeSource(params.userId)));
}

/** Whether the token proves the first pass would be empty (see the top of this file). */
export function nothingSince(mark: WakeMark | undefined, wake: WakeState, now: number): boolean {
  return mark !== undefined && mark.wakes === wake.wakes && now < mark.pollingUntil - CLOCK_MARGIN_MS;
}

/** A long-poll's wait: registered as long-polling, with the wake count it started from. */
interface Waiting {
  wake: WakeState;
  deadline: number;
  /** Until when the user's long-poll registration is valid. */
  pollingUntil: number;
}

/**
 * Read the wake item, bound the wait, and register the user as long-polling before the first pass
 * (wake.ts: from here on, bumps are written for us). Undefined: no time to wait, one pass answers.
 */
async function startWaiting(userId: string, timeoutMs: number, remainingTimeMs: () => number, source: WakeSource): Promise<Waiting | undefined> {
  const wake = await (source.wakeState?.(userId) ?? readWake(userId));
  const wait = Math.max(0, Math.min(timeoutMs, MAX_WAIT_MS, remainingTimeMs() - RESPONSE_RESERVE_MS));
  const started = Date.now();
  if (wait <= 0) return undefined;
  let pollingUntil = wake.pollingUntil;
  if (needsRenewal(wake, started)) {
    await goOnline(userId, started, wake);
    pollingUntil = Math.max(pollingUntil, started + ONLINE_TTL_MS);
    source.registered?.(userId, started + ONLINE_TTL_MS);
  }
  return { wake, deadline: started + wait, pollingUntil };
}

/**
 * The waiting both long-polls share: from `first` (none: the first pass was skipped), run a pass
 * each time the wake count moves, until one has news (`news`) or the wait ends.
 */
async function untilNews<P extends { empty: boolean }>(
  source: WakeSource,
  waiting: Waiting,
  first: P | undefined,
  again: (woken: Woken) => Promise<P>,
): Promise<{ pass?: P; seen: number; news: boolean }> {
  let seen = waiting.wake.wakes;
  let pass = first;
  if (pass && !pass.empty) return { pass, seen, news: true };
  for (let woken = await source.next(seen, waiting.deadline); woken; woken = await source.next(seen, waiting.deadline)) {
    seen = woken.wakes;
    pass = await again(woken);
    if (!pass.empty) return { pass, seen, news: true };
  }
  return { ...(pass ? { pass } : {}), seen, news: false };
}

/** A pass with news, or the last one when the wait ends. */
export async function longPoll(params: SyncParams, timeoutMs: number, remainingTimeMs: () => number, source: WakeSource): Promise<AnsweringPass> {
  const waiting = await startWaiting(params.userId, timeoutMs, remainingTimeMs, source);
  if (!waiting) return syncOnce(params);
  const marked = (pass: AnsweringPass, wakes: number): AnsweringPass => ({ ...pass, next: { ...pass.next, wake: { wakes, pollingUntil: waiting.pollingUntil } } });
  const skip = !params.fullState && nothingSince(params.since?.wake, waiting.wake, Date.now());
  const first = skip ? undefined : marked(await syncOnce(params), waiting.wake.wakes);
  const { pass, seen, news } = await untilNews(source, waiting, first, async (woken) => marked(woken.pass ?? (await syncOnce(params)), woken.wakes));
  if (news) return pass!;
  // Timed out: a skipped poll still answers a real pass (it also reports typing that expired);
  // key counts read with an earlier wake's pass are not the latest: withKeyCounts reads them.
  if (!pass) return marked(await syncOnce(params), seen);
  const { keyCounts: _earlier, ...last } = pass;
  return last;
}

/**
 * A long-poll of another API over the same waiting (sliding sync): `run` once, and again each time
 * the user's wake count moves, until it has news or the wait ends.
 */
export async function waitForNews<P extends { empty: boolean }>(
  userId: string,
  timeoutMs: number,
  remainingTimeMs: () => number,
  source: WakeSource,
  run: () => Promise<P>,
): Promise<P> {
  const waiting = await startWaiting(userId, timeoutMs, remainingTimeMs, source);
  if (!waiting) return run();
  const { pass } = await untilNews(source, waiting, await run(), () => run());
  return pass!;
}
