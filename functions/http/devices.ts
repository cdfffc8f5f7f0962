// Device management: list, read, rename and delete the requester's devices
// (lib/matrix/accounts/requests.ts).
import { json } from '../../lib/http/operation.ts';
import { getDevice, listDevices } from '../../lib/matrix/accounts/devices.ts';
import { deleteDeviceRequest, deleteDevices, deleteDevicesRequest, renameDevice } from '../../lib/matrix/accounts/requests.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { deviceUpdateRequest } from '../../lib/matrix/request-schemas.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const device = { auth: 'user', params: ['deviceId'] } as const;

export const handler = matrixFunction('devices', {
  getDevices: operation({ auth: 'user' }, async ({ requester }) => json({ devices: await listDevices(requester.userId) })),
  getDevice: operation(device, async ({ requester, params }) => {
    const found = await getDevice(requester.userId, params.deviceId);
    if (!found) throw notFound('Unknown device');
    return json(found);
  }),
  updateDevice: operation({ ...device, body: deviceUpdateRequest, optionalBody: true }, async ({ requester, params, body }) => {
    await renameDevice(requester.userId, params.deviceId, body.display_name);
    return json({});
  }),
  deleteDevice: operation({ ...device, body: deleteDeviceRequest, optionalBody: true }, async ({ requester, params, body }) => {
    await deleteDevices(requester, [params.deviceId], body.auth);
    return json({});
  }),
  deleteDevices: operation({ auth: 'user', body: deleteDevicesRequest }, async ({ requester, body }) => {
    await deleteDevices(requester, body.devices, body.auth);
    return json({});
  }),
});
