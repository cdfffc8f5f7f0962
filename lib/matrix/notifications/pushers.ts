// Pushers through the users depot: a `pushers.*` command per POST /pushers/set, applied exactly
// once by the pushers topology (applyOnce), in order per user. Axon stores pushers so clients can
// list and manage them (Element's settings), but sends nothing to push gateways: the functions
// have no route to them from here.
import { prepare, type WriteOp } from '../../core/pstate/index.ts';
import { applyOnce } from '../../core/topology/apply-once.ts';
import type { DepotRecord } from '../../core/topology/records.ts';
import { refusingWith } from '../commands.ts';
import { pusherKey, type Pusher } from '../pushers.ts';
import { pushers, pushkeyUsers } from '../pstates.ts';
import type { PusherCommand } from './commands.ts';

export const PUSHERS_TOPOLOGY = 'pushers';

/** Other users' pushers one non-appending set removes at most (each is two items of its transaction). */
export const MAX_REPLACED_OWNERS = 45;

/** Where a stored pusher keeps the device that set it (left out of GET /pushers). */
const CREATOR_DEVICE = 'device_id';

export { isPusherCommandKind, pusherCommand, type PusherCommand } from './commands.ts';

/** The writes of one command: set or delete the user's pusher, keep the pushkey's owners, and unless appending drop the others'. */
export async function planPusherCommand(command: PusherCommand): Promise<WriteOp[]> {
  if (command.kind === 'pushers.delete') {
    const key = pusherKey(command.appId, command.pushkey);
    const exists = await pushers.key(command.userId).has(key, { consistent: true });
    if (!exists) return [];
    return [pushers.key(command.userId).key(key).remove(), pushkeyUsers.key(key).delete(command.userId)];
  }
  const pusher = command.pusher as unknown as Pusher;
  const key = pusherKey(pusher.app_id, pusher.pushkey);
  const stored = command.deviceId !== undefined ? { ...command.pusher, [CREATOR_DEVICE]: command.deviceId } : command.pusher;
  const ops: WriteOp[] = [pushers.key(command.userId).key(key).set(stored), pushkeyUsers.key(key).add(command.userId)];
  if (!command.append) {
    const owners = await pushkeyUsers.key(key).range({ limit: MAX_REPLACED_OWNERS + 1, consistent: true });
    for (const owner of owners.entries.filter((u) => u !== command.userId).slice(0, MAX_REPLACED_OWNERS)) {
      ops.push(pushers.key(owner).key(key).remove(), pushkeyUsers.key(key).delete(owner));
    }
  }
  return ops;
}

export function applyPusherCommand(record: DepotRecord<PusherCommand>, topology = PUSHERS_TOPOLOGY): Promise<Record<string, unknown>> {
  return applyOnce(record, topology, () =>
    refusingWith(async () => ({ writes: await prepare(await planPusherCommand(record.payload)), value: {} })),
  );
}

/** GET /pushers: the user's pushers (as set, without the device that set them). */
export async function listPushers(userId: string): Promise<Pusher[]> {
  const out: Pusher[] = [];
  let cursor: string | undefined;
  do {
    const page = await pushers.key(userId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [, { [CREATOR_DEVICE]: _device, ...pusher }] of page.entries) out.push(pusher as unknown as Pusher);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Pushers of removed devices removed at most per account command (two items each in its transaction). */
export const MAX_REMOVED_PUSHERS = 20;

/**
 * The writes that remove the pushers the given devices set, for the users topology's device
 * removals (logout, device deletion, password change, deactivation): Synapse deletes the pushers
 * of the access tokens it deletes. Pushers set before pushers named their device stay.
 */
export async function removedDevicesPushers(userId: string, deviceIds: ReadonlySet<string>): Promise<WriteOp[]> {
  if (deviceIds.size === 0) return [];
  const page = await pushers.key(userId).range({ limit: 100, consistent: true });
  const doomed = page.entries.filter(([, pusher]) => deviceIds.has(String(pusher[CREATOR_DEVICE]))).slice(0, MAX_REMOVED_PUSHERS);
  return doomed.flatMap(([key]) => [pushers.key(userId).key(key as string).remove(), pushkeyUsers.key(key as string).delete(userId)]);
}
