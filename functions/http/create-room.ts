// POST /_matrix/client/v3/createRoom.
import { json } from '../../lib/http/operation.ts';
import { createRoom } from '../../lib/matrix/rooms/operations.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('createRoom', {
  createRoom: operation({ auth: 'user' }, async ({ requester, body }) => json(await createRoom(requester, body))),
});
