// The room directory: aliases (GET/PUT/DELETE /directory/room/{roomAlias}, GET
// /rooms/{roomId}/aliases) and a room's visibility in the published directory (GET/PUT
// /directory/list/room/{roomId}), lib/matrix/directory/requests.ts.
import { json } from '../../lib/http/operation.ts';
import { deleteRoomAlias, roomAliasesFor, roomIdByAlias, roomVisibility, setRoomAlias, setRoomVisibility } from '../../lib/matrix/directory/requests.ts';
import { roomAliasRequest, roomVisibilityRequest } from '../../lib/matrix/request-schemas.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const alias = { params: ['roomAlias'] } as const;
const room = { params: ['roomId'] } as const;

export const handler = matrixFunction('directory', {
  setRoomAlias: operation({ auth: 'user', ...alias, body: roomAliasRequest }, async ({ requester, params, body }) => {
    await setRoomAlias(requester.userId, params.roomAlias, body.room_id);
    return json({});
  }),
  getRoomIdByAlias: operation({ auth: 'none', ...alias }, async ({ params }) => json(await roomIdByAlias(params.roomAlias))),
  deleteRoomAlias: operation({ auth: 'user', ...alias }, async ({ requester, params }) => {
    await deleteRoomAlias(requester.userId, params.roomAlias);
    return json({});
  }),
  getLocalAliases: operation({ auth: 'user', ...room }, async ({ requester, params }) => json(await roomAliasesFor(requester.userId, params.roomId))),
  getRoomVisibilityOnDirectory: operation({ auth: 'none', ...room }, async ({ params }) => json(await roomVisibility(params.roomId))),
  setRoomVisibilityOnDirectory: operation({ auth: 'user', ...room, body: roomVisibilityRequest }, async ({ requester, params, body }) => {
    await setRoomVisibility(requester.userId, params.roomId, body.visibility ?? 'public');
    return json({});
  }),
});
