// The keys topology's decisions: an upload stores what the device gave (and marks the user's device
// list as changed when its device keys changed); a claim takes one one-time key per device, or
// else marks the fallback key used. Commands of one user apply in order, so the reads here see
// every earlier command's writes.
import { prepare, type WriteOp } from '../../core/pstate/index.ts';
import { applyOnce } from '../../core/topology/apply-once.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { refusingWith } from '../commands.ts';
import { syncWatermarkWrite } from '../sync/watermark.ts';
import { badJson } from '../errors.ts';
import { canonicalJson } from '../canonical-json.ts';
import { deviceKeys, deviceListChanges, fallbackKeys, oneTimeKeys } from '../pstates.ts';
import { deviceKeyOwner, type KeysCommand, type KeysCommandOf } from './commands.ts';
import { countByAlgorithm, oneTimeKeyIds } from './counts.ts';
import { planToDevice, planToDeviceAck } from './to-device.ts';
import { clientKeyId, orderedKeyId } from './one-time-key-order.ts';
import { planBackupDelete, planBackupPut, planCreateBackupVersion, planDeleteBackupVersion, planUpdateBackupVersion } from './backup.ts';
import { planCrossSigning } from './cross-signing.ts';
import { planSignatures } from './signatures.ts';
import { planDevicesRemoved } from './removed-devices.ts';

/** One record commits in one transaction (≤ 99 items): this many one-time keys per upload at most. */
export const MAX_ONE_TIME_KEYS_PER_UPLOAD = 80;

interface KeysPlan {
  ops: WriteOp[];
  value: Record<string, unknown>;
}

type RecordPosition = Pick<DepotRecord, 'lane' | 'sequenceNumber'>;

/** Where a record changed a device list: `<shard id>/<sequencePosition>` (deviceListChanges). */
export const changePosition = (at: RecordPosition): string => `${at.lane}/${sequencePosition(at.sequenceNumber)}`;

function splitKeyId(id: string): { algorithm: string; keyId: string } {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) throw badJson(`Key id must be <algorithm>:<key id>: ${id}`);
  return { algorithm: id.slice(0, colon), keyId: id.slice(colon + 1) };
}

async function upload(c: KeysCommandOf<'keys.upload'>, at: RecordPosition): Promise<KeysPlan> {
  const ops: WriteOp[] = [];
  const owner = deviceKeyOwner(c.userId, c.deviceId);
  if (c.deviceKeys) {
    const current = await deviceKeys.key(c.userId).key(c.deviceId).get({ consistent: true });
    if (current === undefined || canonicalJson(current) !== canonicalJson(c.deviceKeys)) {
      ops.push(deviceKeys.key(c.userId).key(c.deviceId).set(c.deviceKeys));
      ops.push(deviceListChanges.key(c.userId).set(changePosition(at)));
    }
  }
  const ids = new Set(await oneTimeKeyIds(c.userId, c.deviceId, true));
  const uploaded = Object.entries(c.oneTimeKeys ?? {});
  if (uploaded.length > MAX_ONE_TIME_KEYS_PER_UPLOAD) throw badJson(`At most ${MAX_ONE_TIME_KEYS_PER_UPLOAD} one-time keys per upload`);
  const position = sequencePosition(at.sequenceNumber);
  for (const [index, [id, key]] of uploaded.entries()) {
    splitKeyId(id);
    // A key already held stays as it is (a client retrying an upload sends the same keys).
    if (ids.has(id)) continue;
    ids.add(id);
    // Keyed by upload order: a claim takes the oldest first (one-time-key-order.ts).
    ops.push(oneTimeKeys.key(owner).key(orderedKeyId(id, position, index)).set(key));
  }
  for (const [id, key] of Object.entries(c.fallbackKeys ?? {})) {
    const { algorithm, keyId } = splitKeyId(id);
    ops.push(fallbackKeys.key(owner).key(algorithm).set({ keyId, key, used: false }));
  }
  return { ops, value: { one_time_key_counts: countByAlgorithm(ids) } };
}

async function claim(c: KeysCommandOf<'keys.claim'>): Promise<KeysPlan> {
  const ops: WriteOp[] = [];
  const claimed: Record<string, Record<string, unknown>> = {};
  for (const [deviceId, algorithm] of Object.entries(c.devices)) {
    const owner = deviceKeyOwner(c.userId, deviceId);
    const page = await oneTimeKeys.key(owner).range({ from: `${algorithm}:`, to: `${algorithm};`, limit: 1, consistent: true });
    const first = page.entries[0];
    if (first) {
      const [stored, key] = first;
      // Claims of one user are serialized (one partition), so no other claim can take this key.
      ops.push(oneTimeKeys.key(owner).key(stored).remove());
      claimed[deviceId] = { [clientKeyId(stored)]: key };
      continue;
    }
    const fallback = await fallbackKeys.key(owner).key(algorithm).get({ consistent: true });
    if (fallback) {
      if (!fallback.used) ops.push(fallbackKeys.key(owner).key(algorithm).field('used').set(true));
      claimed[deviceId] = { [`${algorithm}:${fallback.keyId}`]: fallback.key };
    }
  }
  return { ops, value: { one_time_keys: claimed } };
}

export async function planKeysCommand(command: KeysCommand, at: RecordPosition): Promise<KeysPlan> {
  switch (command.kind) {
    case 'keys.toDevice':
      return { ops: await planToDevice(command, at), value: {} };
    case 'keys.backupVersion': {
      const { ops, version } = await planCreateBackupVersion(command);
      return { ops, value: { version } };
    }
    case 'keys.backupVersionUpdate':
      return { ops: await planUpdateBackupVersion(command), value: {} };
    case 'keys.backupVersionDelete':
      return { ops: await planDeleteBackupVersion(command), value: {} };
    case 'keys.backupPut':
      return planBackupPut(command);
    case 'keys.backupDelete':
      return planBackupDelete(command);
    case 'keys.crossSigning':
      return { ops: planCrossSigning(command, at), value: {} };
    case 'keys.signatures': {
      const { ops, failures } = await planSignatures(command, changePosition(at));
      return { ops, value: { failures } };
    }
    case 'keys.devicesRemoved': {
      const { ops, more } = await planDevicesRemoved(command, changePosition(at));
      return { ops, value: { more } };
    }
    case 'keys.toDeviceAck':
      return { ops: await planToDeviceAck(command), value: {} };
    case 'keys.upload':
      return upload(command, at);
    case 'keys.claim':
      return claim(command);
  }
}

/**
 * Apply one keys command exactly once (its writes commit with its outcome). The shard's sync
 * watermark commits with them, so once the appender has its answer a sync sees the change.
 */
export function applyKeysCommand(record: DepotRecord<KeysCommand>, topology: string): Promise<Record<string, unknown>> {
  return applyOnce(record, topology, () =>
    refusingWith(async () => {
      const plan = await planKeysCommand(record.payload, record);
      return { writes: await prepare([...plan.ops, syncWatermarkWrite('keys', record)]), value: plan.value };
    }),
  );
}
