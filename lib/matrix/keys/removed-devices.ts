// Removed devices lose their keys. The users topology removes a device (logout, DELETE /devices,
// delete_devices, password change, deactivation) and then appends `keys.devicesRemoved` to the
// users depot; the keys topology drops the device's keys, one-time and fallback keys and to-device
// inbox, and records a device-list change so co-members re-query. Appends are at least once (a
// retried users record appends again), so the command is harmless when repeated: it records a
// change only when it removed device keys, and skips a device that exists again (logged in anew
// with the same id before a late duplicate arrived).
import { appendCommands } from '../commands.ts';
import type { WriteOp } from '../../core/pstate/index.ts';
import { deviceKeys, deviceListChanges, devices, fallbackKeys, oneTimeKeys, toDeviceInbox } from '../pstates.ts';
import type { AccountCommand } from '../accounts/commands.ts';
import { deviceKeyOwner, type KeysCommand, type KeysCommandOf } from './commands.ts';

/** Deletions per record (one transaction ≤ 99 items); the rest follow in a continuation record. */
export const REMOVAL_BUDGET = 90;

export async function planDevicesRemoved(c: KeysCommandOf<'keys.devicesRemoved'>, position: string): Promise<{ ops: WriteOp[]; more: boolean }> {
  const ops: WriteOp[] = [];
  let changed = false;
  for (const deviceId of c.deviceIds) {
    if (await devices.key(c.userId).has(deviceId, { consistent: true })) continue;
    const owner = deviceKeyOwner(c.userId, deviceId);
    if ((await deviceKeys.key(c.userId).key(deviceId).get({ consistent: true })) !== undefined) {
      ops.push(deviceKeys.key(c.userId).key(deviceId).remove());
      changed = true;
    }
    for (const pstate of [fallbackKeys, oneTimeKeys, toDeviceInbox] as const) {
      const room = REMOVAL_BUDGET - ops.length;
      if (room <= 0) return { ops: withChange(ops, changed, c.userId, position), more: true };
      const page = await pstate.key(owner).range({ limit: room, consistent: true });
      for (const [key] of page.entries) ops.push(pstate.key(owner).key(key as string).remove());
      if (page.cursor) return { ops: withChange(ops, changed, c.userId, position), more: true };
    }
  }
  return { ops: withChange(ops, changed, c.userId, position), more: false };
}

function withChange(ops: WriteOp[], changed: boolean, userId: string, position: string): WriteOp[] {
  return changed ? [...ops, deviceListChanges.key(userId).set(position)] : ops;
}

/** The devices an applied account command removed (its recorded value says which). */
export function removedDevices(command: AccountCommand, value: unknown): string[] {
  if (command.kind !== 'account.removeDevices' && command.kind !== 'account.password' && command.kind !== 'account.deactivate') return [];
  const removed = (value as { removed?: unknown } | undefined)?.removed;
  return Array.isArray(removed) ? removed.filter((d): d is string => typeof d === 'string') : [];
}

/**
 * After an account command is applied: ask the keys topology to forget the removed devices' keys.
 * `requestId` is derived from the applied record, so the append a redelivery repeats is the same
 * command to the keys topology, which applies it once.
 */
export async function forgetRemovedDevices(command: AccountCommand, value: unknown, requestId: string): Promise<void> {
  const deviceIds = removedDevices(command, value);
  if (deviceIds.length > 0) await appendDevicesRemoved(command.userId, deviceIds, requestId);
}

export async function appendDevicesRemoved(userId: string, deviceIds: string[], requestId: string): Promise<void> {
  const command: KeysCommand = { kind: 'keys.devicesRemoved', userId, deviceIds };
  await appendCommands('users', [{ partitionKey: userId, command, requestId }]);
}
