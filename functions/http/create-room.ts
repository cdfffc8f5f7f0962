// POST /_matrix/client/v3/createRoom.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { createRoom } from '../../lib/matrix/rooms/operations.ts';

export const handler = httpFunction(axon, 'createRoom', {
  createRoom: async (request) => json(await createRoom(request)),
});
