// What the sync service is told (lib/core/service/notices.ts): which users' wake counts moved,
// and to what, right after the bumps are committed, so the service's waiting polls of those users
// run their pass at once, without polling or even reading their wake items. Every wake-up goes through `wakeUsers`, so every
// topology that wakes long-polls notifies with it.
import { notifyInstances } from '../../core/service/notices.ts';

/** The sync service's name in the module declaration. */
export const SYNC_SERVICE = 'sync';

/** A notice's users fill at most this many bytes: one notice stays one 32 KB WebSocket message (billed per 32 KB). */
const NOTICE_BYTES = 30_000;

export interface WakeNotice {
  /** Users whose wake count moved. */
  wake: string[];
  /** Their counts after the bump, in the same order (absent from notices of older writers). */
  counts?: number[];
}

/** A user a notice names, with their wake count after the bump when the notice says it. */
export interface WokenUser {
  userId: string;
  wakes?: number;
}

/** Tell the sync service's instances that these users' wake counts moved to these values (never throws). */
export async function noticeWakes(woken: readonly { userId: string; wakes: number }[]): Promise<void> {
  const chunks: WakeNotice[] = [];
  let bytes = NOTICE_BYTES;
  for (const { userId, wakes } of woken) {
    const size = Buffer.byteLength(userId) + 3 + String(wakes).length + 1; // quotes and commas
    if (bytes + size > NOTICE_BYTES) {
      chunks.push({ wake: [], counts: [] });
      bytes = 0;
    }
    chunks.at(-1)!.wake.push(userId);
    chunks.at(-1)!.counts!.push(wakes);
    bytes += size;
  }
  await Promise.all(chunks.map((notice) => notifyInstances(SYNC_SERVICE, notice satisfies WakeNotice)));
}

/** The users a notice names, with their counts where it carries them (nothing for anything that is not a wake notice). */
export function wokenBy(data: unknown): WokenUser[] {
  const { wake, counts } = (data as Partial<WakeNotice> | null) ?? {};
  if (!Array.isArray(wake)) return [];
  const countsListed = Array.isArray(counts) && counts.length === wake.length;
  return wake.flatMap((userId, i) => {
    if (typeof userId !== 'string') return [];
    const wakes = countsListed ? counts[i] : undefined;
    return [typeof wakes === 'number' && Number.isFinite(wakes) ? { userId, wakes } : { userId }];
  });
}
