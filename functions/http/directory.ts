// The room directory: aliases (GET/PUT/DELETE /directory/room/{roomAlias}, GET
// /rooms/{roomId}/aliases) and a room's visibility in the published directory (GET/PUT
// /directory/list/room/{roomId}). Writes go through the rooms depot, in order with the room's events.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { forbidden, invalidParam, notFound } from '../../lib/matrix/errors.ts';
import { isValidRoomId, serverName } from '../../lib/matrix/ids.ts';
import { publicRooms, roomInfo } from '../../lib/matrix/pstates.ts';
import { parseRequestBody, roomAliasRequest, roomVisibilityRequest } from '../../lib/matrix/request-schemas.ts';
import { localAliases, requireAlias, requireLocalAlias, resolveAlias } from '../../lib/matrix/directory/aliases.ts';
import { DIRECTORY_KEY } from '../../lib/matrix/directory/apply.ts';
import type { DirectoryCommand } from '../../lib/matrix/directory/commands.ts';
import { roomAccess } from '../../lib/matrix/directory/room-access.ts';

function requireRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw invalidParam(`${roomId} is not a valid room ID`);
  return roomId;
}

export const handler = matrixFunction('directory', {
  setRoomAlias: async (request) => {
    const { userId } = await authenticate(request);
    const alias = requireLocalAlias(request.pathParameters.roomAlias!);
    const roomId = requireRoomId(parseRequestBody(roomAliasRequest, request.body).room_id);
    const command: DirectoryCommand = { kind: 'directory.setAlias', roomId, userId, alias };
    await submit('rooms', roomId, command);
    return json({});
  },
  getRoomIdByAlias: async (request) => {
    const alias = requireAlias(request.pathParameters.roomAlias!);
    // One server, no federation: an alias of another server is unknown here.
    const entry = await resolveAlias(alias);
    if (!entry) throw notFound(`Room alias ${alias} not found.`);
    return json({ room_id: entry.roomId, servers: [serverName()] });
  },
  deleteRoomAlias: async (request) => {
    const { userId } = await authenticate(request);
    const alias = requireLocalAlias(request.pathParameters.roomAlias!);
    const entry = await resolveAlias(alias, true);
    if (!entry) throw notFound(`Room alias ${alias} not found.`);
    const command: DirectoryCommand = { kind: 'directory.deleteAlias', roomId: entry.roomId, userId, alias };
    await submit('rooms', entry.roomId, command);
    return json({});
  },
  getLocalAliases: async (request) => {
    const { userId } = await authenticate(request);
    const roomId = requireRoomId(request.pathParameters.roomId!);
    const access = await roomAccess(roomId, userId);
    // Unknown rooms answer like rooms one is not in, so room ids cannot be probed.
    if (!access.joined && !access.worldReadable) throw forbidden('You are not in this room');
    return json({ aliases: await localAliases(roomId) });
  },
  getRoomVisibilityOnDirectory: async (request) => {
    const roomId = requireRoomId(request.pathParameters.roomId!);
    if (!(await roomInfo.key(roomId).field('version').get())) throw notFound('Room not found');
    const listed = (await publicRooms.key(DIRECTORY_KEY).key(roomId).get()) !== undefined;
    return json({ visibility: listed ? 'public' : 'private' });
  },
  setRoomVisibilityOnDirectory: async (request) => {
    const { userId } = await authenticate(request);
    const roomId = requireRoomId(request.pathParameters.roomId!);
    const { visibility = 'public' } = parseRequestBody(roomVisibilityRequest, request.body);
    const command: DirectoryCommand = { kind: 'directory.visibility', roomId, userId, visibility, ts: Date.now() };
    await submit('rooms', roomId, command);
    return json({});
  },
});
