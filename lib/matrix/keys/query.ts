// POST /keys/query: the stored device keys of the requested users (all their devices, or the ones
// named), with the cross-signing signatures the requester may see merged in. Unknown users simply
// have no entry; nothing here fails per server, so `failures` is empty.
import { deviceKeys } from '../pstates.ts';
import { mergeSignatures, type StoredSignature } from './signatures.ts';

export type DeviceKeysByUser = Record<string, Record<string, Record<string, unknown>>>;

/** device id → the device's keys as uploaded (consistent: read by the keys topology). */
export async function allDeviceKeys(userId: string, consistent = false): Promise<Record<string, Record<string, unknown>>> {
  return Object.fromEntries(await deviceKeys.key(userId).entries({ consistent }));
}

/** `requested`: user id → device ids (empty: every device); `signatures`: per user, those the requester may see. */
export async function queryDeviceKeys(requested: Record<string, string[]>, signatures: Record<string, StoredSignature[]>): Promise<DeviceKeysByUser> {
  const result: DeviceKeysByUser = {};
  await Promise.all(
    Object.entries(requested).map(async ([userId, deviceIds]) => {
      const all = await allDeviceKeys(userId);
      const wanted = deviceIds.length === 0 ? Object.entries(all) : Object.entries(all).filter(([d]) => deviceIds.includes(d));
      // The spec's device_keys map has an entry per queried user, even with no devices.
      result[userId] = Object.fromEntries(wanted.map(([d, keys]) => [d, mergeSignatures(keys, d, `ed25519:${d}`, signatures[userId] ?? [])]));
    }),
  );
  return result;
}
