// POST /_matrix/client/v3/rooms/{roomId}/upgrade.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { upgradeRoom } from '../../lib/matrix/rooms/upgrade.ts';

export const handler = httpFunction(axon, 'roomUpgrade', {
  upgradeRoom: async (request) => json(await upgradeRoom(request, request.pathParameters.roomId!)),
});
