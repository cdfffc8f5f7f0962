// A user's device keys as uploaded: read by /keys/query and by the signature checks.
import { deviceKeys } from '../pstates.ts';

/** device id → the device's keys as uploaded (consistent: read by the keys topology). */
export async function allDeviceKeys(userId: string, consistent = false): Promise<Record<string, Record<string, unknown>>> {
  return Object.fromEntries(await deviceKeys.key(userId).entries({ consistent }));
}
