// Polls woken together check together: those a notice told their new count need no read; one
// strongly consistent BatchGetItem (per 100) reads the others' wake counts; those whose count
// moved run their passes on one read of every stream's watermarks, taken after the counts (each pass's mark precedes its cut, as a lone poll's does), and share
// their reads of what belongs to rooms rather than to one user (SHARED_PSTATES): a message into a
// room of N waiting members reads its timeline, state, bundles, receipts once, not N times. Every
// read shared comes after the one watermark read all the passes are bounded by, which is all a
// pass asks of its reads (lib/matrix/sync/watermark.ts); a pass that needs fresher reads (its cut
// moved) runs again on its own.
import { inPool } from '../../../core/concurrency.ts';
import { sharedReads } from '../../../core/pstate/index.ts';
import { syncOnce, type SyncParams } from '../assemble.ts';
import { CutMoved } from '../cut.ts';
import { wokenPassWithKeyCounts, type Woken } from '../long-poll.ts';
import { wakeStates } from '../wake.ts';
import { readAllWatermarks } from '../watermark.ts';

/** Passes of one batch run at once (each is a handful of requests). */
const PARALLEL_PASSES = 32;

/**
 * What members of a room read alike: the room's items, and the relation indexes and presence
 * items every member's pass reads the same way. Per-user items (memberships, counts, inboxes,
 * keys) are not shared: each pass reads its own.
 */
export const SHARED_PSTATES = ['roomInfo', 'roomTimeline', 'roomState', 'roomMembers', 'roomEphemeral', 'roomReceipts', 'threadRoots', 'latestEdits', 'relations', 'presence'];

export interface WakeCheck {
  params: SyncParams;
  /** The wake count the poll last saw. */
  seen: number;
  /** The count a notice said, above `seen` (committed before the notice was sent): nothing to read. */
  known?: number;
  /** The count once it moved, with the pass run for it; undefined while it has not moved. */
  resolve(woken: Woken | undefined): void;
  reject(err: unknown): void;
}

export async function checkWoken(batch: readonly WakeCheck[]): Promise<void> {
  const toRead = batch.filter((c) => c.known === undefined);
  let states;
  try {
    states = await wakeStates(toRead.map((c) => c.params.userId));
  } catch (err) {
    for (const check of toRead) check.reject(err);
    states = undefined;
  }
  const read = new Map(toRead.map((check, i) => [check, states?.[i]?.wakes]));
  const moved = batch.flatMap((check) => {
    if (check.known !== undefined) return [{ check, wakes: check.known }];
    const wakes = read.get(check);
    if (wakes === undefined) return []; // its read failed: rejected above
    if (wakes === check.seen) {
      check.resolve(undefined);
      return [];
    }
    return [{ check, wakes }];
  });
  if (!moved.length) return;
  let watermarks;
  try {
    watermarks = await readAllWatermarks();
  } catch (err) {
    for (const { check } of moved) check.reject(err);
    return;
  }
  const shared = sharedReads(SHARED_PSTATES, { coalesce: true });
  await inPool(moved, PARALLEL_PASSES, async ({ check, wakes }) => {
    try {
      const pass = await wokenPassWithKeyCounts(check.params, () =>
        shared.run(() => syncOnce(check.params, { watermarks })).catch((err: unknown) => {
          if (err instanceof CutMoved) return syncOnce(check.params);
          throw err;
        }),
      );
      check.resolve({ wakes, pass });
    } catch (err) {
      check.reject(err);
    }
  });
}
