// What the sync service is told (lib/core/service/notices.ts): which users' wake counts moved,
// right after the bumps are committed, so the service's waiting polls of those users check at
// once instead of polling their wake items. Every wake-up goes through `wakeUsers`, so every
// topology that wakes long-polls notifies with it.
import { notifyInstances } from '../../core/service/notices.ts';

/** The sync service's name in the module declaration. */
export const SYNC_SERVICE = 'sync';

/** A notice's users fill at most this many bytes: one notice stays one 32 KB WebSocket message (billed per 32 KB). */
const NOTICE_BYTES = 30_000;

export interface WakeNotice {
  /** Users whose wake count moved. */
  wake: string[];
}

/** Tell the sync service's instances that these users' wake counts moved (never throws). */
export async function noticeWakes(userIds: readonly string[]): Promise<void> {
  const chunks: string[][] = [];
  let bytes = NOTICE_BYTES;
  for (const userId of userIds) {
    const size = Buffer.byteLength(userId) + 3; // quotes and comma
    if (bytes + size > NOTICE_BYTES) {
      chunks.push([]);
      bytes = 0;
    }
    chunks.at(-1)!.push(userId);
    bytes += size;
  }
  await Promise.all(chunks.map((wake) => notifyInstances(SYNC_SERVICE, { wake } satisfies WakeNotice)));
}

/** The users a notice names (nothing for anything that is not a wake notice). */
export function wokenBy(data: unknown): string[] {
  const wake = (data as Partial<WakeNotice> | null)?.wake;
  return Array.isArray(wake) ? wake.filter((u): u is string => typeof u === 'string') : [];
}
