// To-device messages: a send becomes inbox entries of the recipient's devices (`*`: all of them),
// once per sender device and transaction id; a sync delivers a device's entries after its token's
// position and, once the client syncs past them, they are deleted.
import type { WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { devices, toDeviceInbox, toDeviceTxns } from '../pstates.ts';
import { deviceKeyOwner, type KeysCommandOf } from './commands.ts';

/** Each record commits in one transaction: at most this many inbox entries per recipient user. */
export const MAX_DEVICES_PER_SEND = 90;

export async function planToDevice(c: KeysCommandOf<'keys.toDevice'>, at: Pick<DepotRecord, 'sequenceNumber'>): Promise<WriteOp[]> {
  const txnKey = `${c.userId}\u0000${c.sender}\u0000${c.senderDevice}\u0000${c.txnId}`;
  if ((await toDeviceTxns.key(txnKey).get({ consistent: true })) !== undefined) return [];
  const targets = new Map<string, Record<string, unknown>>();
  for (const [deviceId, content] of Object.entries(c.messages)) {
    if (deviceId === '*') {
      const page = await devices.key(c.userId).range({ limit: MAX_DEVICES_PER_SEND, consistent: true });
      for (const [d] of page.entries) targets.set(d, content);
    } else {
      targets.set(deviceId, content);
    }
  }
  const ops: WriteOp[] = [toDeviceTxns.key(txnKey).set(Date.now())];
  let index = 0;
  for (const [deviceId, content] of [...targets].slice(0, MAX_DEVICES_PER_SEND)) {
    const key = `${sequencePosition(at.sequenceNumber)}.${String(index++).padStart(4, '0')}`;
    ops.push(toDeviceInbox.key(deviceKeyOwner(c.userId, deviceId)).key(key).set({ sender: c.sender, type: c.type, content }));
  }
  return ops;
}

export async function planToDeviceAck(c: KeysCommandOf<'keys.toDeviceAck'>): Promise<WriteOp[]> {
  const inbox = toDeviceInbox.key(deviceKeyOwner(c.userId, c.deviceId));
  const page = await inbox.range({ to: c.upTo, toInclusive: true, limit: 95, consistent: true });
  return page.entries.map(([key]) => inbox.key(key).remove());
}

export const TO_DEVICE_SYNC_LIMIT = 100;

/** Whether entries at or below `upTo` are still stored (delivered, awaiting deletion). */
export async function hasDelivered(userId: string, deviceId: string, upTo: string): Promise<boolean> {
  const page = await toDeviceInbox.key(deviceKeyOwner(userId, deviceId)).range({ to: upTo, toInclusive: true, limit: 1 });
  return page.entries.length > 0;
}

/** The device's entries after `after` (exclusive), oldest first, and the last one's key. */
export async function toDeviceForSync(userId: string, deviceId: string, after: string | undefined) {
  const page = await toDeviceInbox.key(deviceKeyOwner(userId, deviceId)).range({
    ...(after ? { from: after, fromInclusive: false } : {}),
    limit: TO_DEVICE_SYNC_LIMIT,
    consistent: true,
  });
  const events = page.entries.map(([, e]) => ({ sender: e.sender ?? '', type: e.type ?? '', content: e.content ?? {} }));
  const last = page.entries.at(-1)?.[0];
  return { events, last };
}
