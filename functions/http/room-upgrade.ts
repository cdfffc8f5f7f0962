// POST /_matrix/client/v3/rooms/{roomId}/upgrade.
import { json } from '../../lib/http/operation.ts';
import { upgradeRoom } from '../../lib/matrix/rooms/upgrade.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('roomUpgrade', {
  upgradeRoom: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params, body }) => json(await upgradeRoom(requester, body, params.roomId))),
});
