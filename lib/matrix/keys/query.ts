// POST /keys/query: the stored device keys of the requested users (all their devices, or the ones
// named). Unknown users simply have no entry; nothing here fails per server, so `failures` is empty.
import { deviceKeys } from '../pstates.ts';

export type DeviceKeysByUser = Record<string, Record<string, Record<string, unknown>>>;

async function allDeviceKeys(userId: string): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  let cursor: string | undefined;
  do {
    const page = await deviceKeys.key(userId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [deviceId, keys] of page.entries) out[deviceId] = keys;
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** `requested`: user id → device ids (empty: every device). */
export async function queryDeviceKeys(requested: Record<string, string[]>): Promise<DeviceKeysByUser> {
  const result: DeviceKeysByUser = {};
  await Promise.all(
    Object.entries(requested).map(async ([userId, deviceIds]) => {
      const all = await allDeviceKeys(userId);
      const wanted = deviceIds.length === 0 ? all : Object.fromEntries(Object.entries(all).filter(([d]) => deviceIds.includes(d)));
      // The spec's device_keys map has an entry per queried user, even with no devices.
      result[userId] = wanted;
    }),
  );
  return result;
}
