// Long-polling: when a sync pass has nothing to deliver, wait by polling the user's wake item
// (one consistent GetItem per interval, whatever the number of rooms) and run the pass again only
// when it changed. The wake item is read BEFORE the first pass: a bump committed after that read
// is seen by the polling, one before it is covered by the pass (its commit precedes the cut).
import type { SyncParams, SyncPass } from './assemble.ts';
import { syncOnce } from './assemble.ts';
import { keyCountsForSync } from '../keys/sync.ts';
import { goOnline, needsRenewal, readWake, WAKE_POLL_INTERVAL_MS } from './wake.ts';

/** Never wait longer than this: API Gateway answers 504 after 30 s. */
export const MAX_WAIT_MS = 25_000;
/** Time kept for the last pass and the response before the function's own timeout. */
const RESPONSE_RESERVE_MS = 3_000;

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

async function waitForNews(params: SyncParams, timeoutMs: number, remainingTimeMs: () => number): Promise<SyncPass> {
  const wake = await readWake(params.userId);
  const wait = Math.max(0, Math.min(timeoutMs, MAX_WAIT_MS, remainingTimeMs() - RESPONSE_RESERVE_MS));
  if (wait > 0 && needsRenewal(wake)) await goOnline(params.userId, Date.now(), wake);
  const started = Date.now();
  let pass = await syncOnce(params);
  if (!pass.empty || wait <= 0) return pass;
  const deadline = started + wait;
  let seen = wake.wakes;
  for (let now = Date.now(); now < deadline; now = Date.now()) {
    await sleep(Math.min(WAKE_POLL_INTERVAL_MS, deadline - now));
    const current = await readWake(params.userId);
    if (current.wakes === seen) continue;
    seen = current.wakes;
    pass = await syncOnce(params);
    if (!pass.empty) return pass;
  }
  return pass;
}
