// The room directory's endpoints once their requests are checked: aliases (PUT/GET/DELETE
// /directory/room/{roomAlias}, GET /rooms/{roomId}/aliases) and a room's visibility in the published
// directory (GET/PUT /directory/list/room/{roomId}). Writes go through the rooms depot, in order
// with the room's events.
import { submit } from '../commands.ts';
import { forbidden, invalidParam, notFound } from '../errors.ts';
import { isValidRoomId, serverName } from '../ids.ts';
import { publicRooms, roomInfo } from '../pstates.ts';
import { localAliases, requireAlias, requireLocalAlias, resolveAlias } from './aliases.ts';
import { DIRECTORY_KEY } from './apply.ts';
import type { DirectoryCommand } from './commands.ts';
import { roomAccess } from './room-access.ts';

function requireRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw invalidParam(`${roomId} is not a valid room ID`);
  return roomId;
}

export async function setRoomAlias(userId: string, roomAlias: string, roomId: string): Promise<void> {
  const alias = requireLocalAlias(roomAlias);
  const command: DirectoryCommand = { kind: 'directory.setAlias', roomId: requireRoomId(roomId), userId, alias };
  await submit('rooms', command.roomId, command);
}

export async function roomIdByAlias(roomAlias: string) {
  const alias = requireAlias(roomAlias);
  // One server, no federation: an alias of another server is unknown here.
  const entry = await resolveAlias(alias);
  if (!entry) throw notFound(`Room alias ${alias} not found.`);
  return { room_id: entry.roomId, servers: [serverName()] };
}

export async function deleteRoomAlias(userId: string, roomAlias: string): Promise<void> {
  const alias = requireLocalAlias(roomAlias);
  const entry = await resolveAlias(alias, true);
  if (!entry) throw notFound(`Room alias ${alias} not found.`);
  const command: DirectoryCommand = { kind: 'directory.deleteAlias', roomId: entry.roomId, userId, alias };
  await submit('rooms', entry.roomId, command);
}

export async function roomAliasesFor(userId: string, roomId: string) {
  requireRoomId(roomId);
  const access = await roomAccess(roomId, userId);
  // Unknown rooms answer like rooms one is not in, so room ids cannot be probed.
  if (!access.joined && !access.worldReadable) throw forbidden('You are not in this room');
  return { aliases: await localAliases(roomId) };
}

export async function roomVisibility(roomId: string) {
  requireRoomId(roomId);
  if (!(await roomInfo.key(roomId).field('version').get())) throw notFound('Room not found');
  const listed = (await publicRooms.key(DIRECTORY_KEY).key(roomId).get()) !== undefined;
  return { visibility: listed ? 'public' : 'private' };
}

export async function setRoomVisibility(userId: string, roomId: string, visibility: 'public' | 'private'): Promise<void> {
  const command: DirectoryCommand = { kind: 'directory.visibility', roomId: requireRoomId(roomId), userId, visibility, ts: Date.now() };
  await submit('rooms', command.roomId, command);
}
