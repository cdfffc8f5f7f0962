// Polls woken together check together: one strongly consistent BatchGetItem (per 100) reads their
// wake counts; those whose count moved run their passes on one read of every stream's watermarks,
// taken after the counts (each pass's mark precedes its cut, as a lone poll's does).
import { inPool } from '../../../core/concurrency.ts';
import { syncOnce, type SyncParams } from '../assemble.ts';
import type { Woken } from '../long-poll.ts';
import { wakeStates } from '../wake.ts';
import { readAllWatermarks } from '../watermark.ts';

/** Passes of one batch run at once (each is a handful of requests). */
const PARALLEL_PASSES = 32;

export interface WakeCheck {
  params: SyncParams;
  /** The wake count the poll last saw. */
  seen: number;
  /** The count once it moved, with the pass run for it; undefined while it has not moved. */
  resolve(woken: Woken | undefined): void;
  reject(err: unknown): void;
}

export async function checkWoken(batch: readonly WakeCheck[]): Promise<void> {
  let states;
  try {
    states = await wakeStates(batch.map((c) => c.params.userId));
  } catch (err) {
    for (const check of batch) check.reject(err);
    return;
  }
  const moved = batch.flatMap((check, i) => {
    const wakes = states[i]!.wakes;
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
  await inPool(moved, PARALLEL_PASSES, async ({ check, wakes }) => {
    try {
      check.resolve({ wakes, pass: await syncOnce(check.params, { watermarks }) });
    } catch (err) {
      check.reject(err);
    }
  });
}
