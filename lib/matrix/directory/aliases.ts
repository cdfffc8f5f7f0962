// Room aliases: alias → room (roomAliases) and room → its local aliases (roomLocalAliases), always
// written together so resolving an alias and listing a room's aliases agree. createRoom's
// room_alias_name uses aliasWrites too.
import type { WriteOp } from '../../core/pstate/index.ts';
import { invalidParam } from '../errors.ts';
import { parseRoomAlias, serverName } from '../ids.ts';
import { roomAliases, roomLocalAliases } from '../pstates.ts';

/** Writes that map `alias` to `roomId` (only if the alias is free: a race loses, then re-plans). */
export function aliasWrites(alias: string, roomId: string, creator: string): WriteOp[] {
  return [roomAliases.key(alias).set({ roomId, creator }, { ifAbsent: true }), roomLocalAliases.key(roomId).add(alias)];
}

/** Writes that remove the mapping (only while it still points at `roomId`). */
export function aliasRemovals(alias: string, roomId: string, creator: string): WriteOp[] {
  return [roomAliases.key(alias).remove({ ifEquals: { roomId, creator } }), roomLocalAliases.key(roomId).delete(alias)];
}

/** A well-formed alias (400 M_INVALID_PARAM otherwise). */
export function requireAlias(alias: string): string {
  if (!parseRoomAlias(alias)) throw invalidParam('Room alias invalid');
  return alias;
}

/** A well-formed alias of this server: only local aliases can be created or removed here. */
export function requireLocalAlias(alias: string): string {
  if (parseRoomAlias(requireAlias(alias))?.serverName !== serverName()) throw invalidParam('Room alias must be on this server');
  return alias;
}

export async function resolveAlias(alias: string, consistent = false) {
  const entry = await roomAliases.key(alias).get({ consistent });
  return entry?.roomId ? { roomId: entry.roomId, creator: entry.creator ?? '' } : undefined;
}

/** Every local alias of a room, in key order. */
export function localAliases(roomId: string): Promise<string[]> {
  return roomLocalAliases.key(roomId).entries();
}
