// Long-polling: when a sync pass has nothing to deliver, wait by polling the user's wake item
// (one consistent GetItem per interval, whatever the number of rooms) and run the pass again only
// when it changed. The wake item is read BEFORE the first pass: a bump committed after that read
// is seen by the polling, one before it is covered by the pass (its commit precedes the cut).
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

/** Never wait longer than this: API Gateway answers 504 after 30 s. */
export const MAX_WAIT_MS = 25_000;
/** Time kept for the last pass and the response before the function's own timeout. */
const RESPONSE_RESERVE_MS = 3_000;
/** A registration counts as valid only this long before it ends (clocks of different functions). */
const CLOCK_MARGIN_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The device's key counts go in once, as they are when the response is sent (lib/matrix/keys/sync.ts):
 * a pass found empty does not read them, and a poll that times out does not answer those of its start.
 */
export async function syncWithWait(params: SyncParams, timeoutMs: number, remainingTimeMs: () => number): Promise<SyncPass> {
  const pass = await waitForNews(params, timeoutMs, remainingTimeMs);
  Object.assign(pass.body, await keyCountsForSync(params.userId, params.deviceId));
  return pass;
}

/** Whether the token proves the first pass would be empty (see the top of this file). */
export function nothingSince(mark: WakeMark | undefined, wake: WakeState, now: number): boolean {
  return mark !== undefined && mark.wakes === wake.wakes && now < mark.pollingUntil - CLOCK_MARGIN_MS;
}

async function waitForNews(params: SyncParams, timeoutMs: number, remainingTimeMs: () => number): Promise<SyncPass> {
  const wake = await readWake(params.userId);
  const wait = Math.max(0, Math.min(timeoutMs, MAX_WAIT_MS, remainingTimeMs() - RESPONSE_RESERVE_MS));
  const started = Date.now();
  if (wait <= 0) return syncOnce(params);
  // Registered as long-polling before the pass (wake.ts): from here on, bumps are written for us.
  let pollingUntil = wake.pollingUntil;
  if (needsRenewal(wake, started)) {
    await goOnline(params.userId, started, wake);
    pollingUntil = Math.max(pollingUntil, started + ONLINE_TTL_MS);
  }
  const marked = (pass: SyncPass, wakes: number): SyncPass => ({ ...pass, next: { ...pass.next, wake: { wakes, pollingUntil } } });

  const skip = !params.fullState && nothingSince(params.since?.wake, wake, started);
  let pass = skip ? undefined : marked(await syncOnce(params), wake.wakes);
  if (pass && !pass.empty) return pass;
  const deadline = started + wait;
  let seen = wake.wakes;
  for (let now = Date.now(); now < deadline; now = Date.now()) {
    await sleep(Math.min(WAKE_POLL_INTERVAL_MS, deadline - now));
    const current = await readWake(params.userId);
    if (current.wakes === seen) continue;
    seen = current.wakes;
    pass = marked(await syncOnce(params), seen);
    if (!pass.empty) return pass;
  }
  // Timed out: a skipped poll still answers a real pass (it also reports typing that expired).
  return pass ?? marked(await syncOnce(params), seen);
}
