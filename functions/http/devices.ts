// Device management: list, read, rename and delete the requester's devices.
import { z } from 'zod';
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { removeDevices, submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { getDevice, listDevices } from '../../lib/matrix/accounts/devices.ts';
import { MAX_DEVICE_NAME_LENGTH } from '../../lib/matrix/accounts/sessions.ts';
import { requirePasswordAuth } from '../../lib/matrix/accounts/uia.ts';
import { invalidParam, notFound } from '../../lib/matrix/errors.ts';
import { dropRevokedConnections } from '../../lib/matrix/push/revoked.ts';
import { deviceUpdateRequest, parseRequestBody } from '../../lib/matrix/request-schemas.ts';

/** At most this many device ids in one delete_devices (each names at most one device). */
const MAX_DELETE = 100;

const deleteDeviceRequest = z.looseObject({ auth: z.unknown().optional() });
const deleteDevicesRequest = z.looseObject({ devices: z.array(z.string()), auth: z.unknown().optional() });

export const handler = matrixFunction('devices', {
  getDevices: async (request) => {
    const { userId } = await authenticate(request);
    return json({ devices: await listDevices(userId) });
  },
  getDevice: async (request) => {
    const { userId } = await authenticate(request);
    const device = await getDevice(userId, request.pathParameters.deviceId!);
    if (!device) throw notFound('Unknown device');
    return json(device);
  },
  updateDevice: async (request) => {
    const { userId } = await authenticate(request);
    const deviceId = request.pathParameters.deviceId!;
    const body = parseRequestBody(deviceUpdateRequest, request.body ?? {});
    if (body.display_name === undefined) {
      // Nothing to change; regular clients may not create devices here.
      if (!(await getDevice(userId, deviceId))) throw notFound('Unknown device');
      return json({});
    }
    if (body.display_name.length > MAX_DEVICE_NAME_LENGTH) throw invalidParam('Device display name too long');
    await submitAccountCommand('account.updateDevice', userId, { deviceId, displayName: body.display_name });
    return json({});
  },
  deleteDevice: async (request) => {
    const requester = await authenticate(request);
    const body = parseRequestBody(deleteDeviceRequest, request.body ?? {});
    await requirePasswordAuth(body.auth, requester.userId);
    await removeDevices(requester, [request.pathParameters.deviceId!]);
    await dropRevokedConnections(requester.userId);
    return json({});
  },
  deleteDevices: async (request) => {
    const requester = await authenticate(request);
    const body = parseRequestBody(deleteDevicesRequest, request.body);
    const deviceIds = [...new Set(body.devices)];
    if (deviceIds.length > MAX_DELETE) throw invalidParam(`At most ${MAX_DELETE} devices at once`);
    await requirePasswordAuth(body.auth, requester.userId);
    await removeDevices(requester, deviceIds);
    await dropRevokedConnections(requester.userId);
    return json({});
  },
});
