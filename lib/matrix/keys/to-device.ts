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

/**
 * What a sync pass needs of the device's inbox, in one read: its entries after `after` (oldest
 * first, at most TO_DEVICE_SYNC_LIMIT, and the last one's key) and whether entries at or below
 * `after` are still stored (delivered to the client, awaiting the ack's deletion). Delivered
 * entries are few (the next sync's ack deletes them), so one page from the inbox's start usually
 * answers both; only when they share a full page with newer ones are the newer ones read again
 * from `after`.
 */
export async function inboxForSync(userId: string, deviceId: string, after: string | undefined) {
  const inbox = toDeviceInbox.key(deviceKeyOwner(userId, deviceId));
  const page = await inbox.range({ limit: TO_DEVICE_SYNC_LIMIT, consistent: true });
  const delivered = after !== undefined && page.entries.some(([key]) => key <= after);
  let entries = after === undefined ? page.entries : page.entries.filter(([key]) => key > after);
  if (delivered && page.cursor) entries = (await inbox.range({ from: after, fromInclusive: false, limit: TO_DEVICE_SYNC_LIMIT, consistent: true })).entries;
  const events = entries.map(([, e]) => ({ sender: e.sender ?? '', type: e.type ?? '', content: e.content ?? {} }));
  return { events, last: entries.at(-1)?.[0], delivered };
}
