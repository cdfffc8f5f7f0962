// Synapse's admin device deletion (docs/admin_api/user_admin_api.md, "Delete a device", "Delete
// multiple devices"): the user's own deletion (account.removeDevices on the users depot), without
// the user's password. The users topology removes the devices and their access tokens and pushers
// in one commit, then has the keys topology drop their keys and closes their WebSocket
// connections, as when the user deletes them. Unknown device ids are skipped (Synapse too).
import { z } from 'zod';
import { submitAccountCommand } from '../accounts/account.ts';
import { devices } from '../pstates.ts';
import { parseRequestBody } from '../request-schemas.ts';
import { jsonObject, localUserId } from './requests.ts';
import { existingUser } from './users.ts';

const deleteDevicesRequest = z.looseObject({ devices: z.array(z.string()) });

/** Delete those of `deviceIds` the user has (at most MAX_DEVICES_PER_USER: one command). */
async function removeUserDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
  localUserId(userId);
  await existingUser(userId);
  const known = new Set((await devices.key(userId).entries({ consistent: true })).map(([deviceId]) => deviceId as string));
  const doomed = [...new Set(deviceIds)].filter((d) => known.has(d));
  if (doomed.length > 0) await submitAccountCommand('account.removeDevices', userId, { deviceIds: doomed });
}

/** DELETE /v2/users/{userId}/devices/{deviceId}. */
export async function deleteDevice(userId: string, deviceId: string) {
  await removeUserDevices(userId, [deviceId]);
  return {};
}

/** POST /v2/users/{userId}/delete_devices `{"devices": [...]}` (a JSON object is required: Synapse's allow_empty_body=False). */
export async function deleteDevices(userId: string, body: unknown) {
  localUserId(userId);
  const { devices: deviceIds } = parseRequestBody(deleteDevicesRequest, jsonObject(body));
  await removeUserDevices(userId, deviceIds);
  return {};
}
