// "Sync needed" nudges: to-device messages, device-list changes and account data reach a client
// only through HTTP /sync, so a connected client would learn of them at its periodic sync (minutes:
// room keys would wait that long). After such a commit the topology tells the affected
// connections at once with a `sync_needed` frame; the client catches up with one HTTP /sync.
// Cost: one consistent Query of each user's connections (no other read) and one post per
// connection. A nudge never throws: a lost one is caught up by the client's periodic sync.
import { inPool } from '../../core/concurrency.ts';
import { userConnections, type Connection } from './connections.ts';
import { pushToConnections } from './push.ts';
import { syncNeededFrame, type SyncNeededReason } from './frames.ts';
import { errorText, logger } from '../../core/log.ts';

const log = logger('axon-push');

/** Users whose connections are read at once (a device-list change may concern many). */
const PARALLEL_USERS = 16;

/** Which of a user's connections a nudge concerns: all of them, or those of these devices. */
export type NudgedDevices = 'all' | ReadonlySet<string>;

/** A to-device send's recipients among one user's devices: `*` names them all. */
export function toDeviceRecipients(messages: Record<string, unknown>): NudgedDevices {
  const named = Object.keys(messages);
  return named.includes('*') ? 'all' : new Set(named);
}

async function nudgeUser(userId: string, reason: SyncNeededReason, devices: NudgedDevices): Promise<void> {
  try {
    const open = await userConnections(userId);
    const targets = devices === 'all' ? open : open.filter((c: Connection) => devices.has(c.deviceId));
    if (targets.length) await pushToConnections(targets, () => syncNeededFrame(reason));
  } catch (err) {
    log.warn(`sync_needed for ${userId} failed: ${errorText(err)}`);
  }
}

/** Tell these users' open connections (or only those of `devices`) to catch up with one HTTP /sync. */
export async function nudgeToSync(userIds: Iterable<string>, reason: SyncNeededReason, devices: NudgedDevices = 'all'): Promise<void> {
  await inPool([...new Set(userIds)], PARALLEL_USERS, (userId) => nudgeUser(userId, reason, devices));
}
