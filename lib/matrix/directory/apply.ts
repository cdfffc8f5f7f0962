// The directory's decisions, applied by the rooms topology in order with the room's events: each
// command, read against the room's current state, becomes PState writes or a refusal.
import type { WriteOp } from '../../core/pstate/index.ts';
import { prepare } from '../../core/pstate/index.ts';
import { applyOnce } from '../../core/topology/apply-once.ts';
import type { DepotRecord } from '../../core/topology/records.ts';
import { Rejection } from '../../core/topology/stream.ts';
import { refusingWith } from '../commands.ts';
import { forbidden, MatrixError, notFound } from '../errors.ts';
import { publicRooms, roomInfo } from '../pstates.ts';
import { aliasRemovals, aliasWrites, resolveAlias } from './aliases.ts';
import { directoryCommand, type DirectoryCommand, type DirectoryCommandOf } from './commands.ts';
import { roomAccess } from './room-access.ts';
import { isRoomBlocked, roomBlocked } from '../room-blocks.ts';

/** The answer: the room the command applied to (the shape of the rooms topology's results). */
export interface DirectoryResult {
  roomId: string;
}

export interface DirectoryPlan {
  ops: WriteOp[];
  value: DirectoryResult;
}

/** The published room directory is one subindexed map under this key. */
export const DIRECTORY_KEY = 'directory';

async function setAlias(c: DirectoryCommandOf<'directory.setAlias'>): Promise<DirectoryPlan> {
  const access = await roomAccess(c.roomId, c.userId, true);
  if (!access.exists) throw notFound('Room not found');
  // As Synapse: only members of the room may point an alias at it.
  if (!access.joined) throw forbidden('You must be in the room to create an alias for it');
  if (await isRoomBlocked(c.roomId)) throw roomBlocked();
  if (await resolveAlias(c.alias, true)) throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${c.alias} already exists.`);
  return { ops: aliasWrites(c.alias, c.roomId, c.userId), value: { roomId: c.roomId } };
}

async function deleteAlias(c: DirectoryCommandOf<'directory.deleteAlias'>): Promise<DirectoryPlan> {
  const entry = await resolveAlias(c.alias, true);
  if (!entry || entry.roomId !== c.roomId) throw notFound(`Room alias ${c.alias} not found.`);
  // As Synapse: the alias' creator, or whoever may change the room's canonical alias.
  if (entry.creator !== c.userId && !(await roomAccess(c.roomId, c.userId, true)).canEditDirectory) {
    throw forbidden('You may not delete this alias');
  }
  return { ops: aliasRemovals(c.alias, c.roomId, entry.creator), value: { roomId: c.roomId } };
}

async function setVisibility(c: DirectoryCommandOf<'directory.visibility'>): Promise<DirectoryPlan> {
  const access = await roomAccess(c.roomId, c.userId, true);
  if (!access.exists) throw notFound('Room not found');
  if (!access.canEditDirectory) throw forbidden('You may not change this room\'s visibility in the directory');
  const entry = publicRooms.key(DIRECTORY_KEY).key(c.roomId);
  const listed = (await entry.get({ consistent: true })) !== undefined;
  const published = roomInfo.key(c.roomId).field('published');
  if (c.visibility === 'public') return { ops: listed ? [] : [entry.set(c.ts), published.set(true)], value: { roomId: c.roomId } };
  return { ops: listed ? [entry.remove(), published.set(false)] : [], value: { roomId: c.roomId } };
}

export function planDirectoryCommand(command: DirectoryCommand): Promise<DirectoryPlan> {
  switch (command.kind) {
    case 'directory.setAlias':
      return setAlias(command);
    case 'directory.deleteAlias':
      return deleteAlias(command);
    case 'directory.visibility':
      return setVisibility(command);
  }
}

/** A directory command's payload, checked (the rooms topology parses only its own commands). */
export function parseDirectoryRecord(record: DepotRecord<unknown>): DirectoryCommand {
  const parsed = directoryCommand.safeParse(record.payload);
  if (!parsed.success) throw new Rejection('AXON_INVALID_RECORD', `invalid directory command: ${parsed.error.message}`, 400);
  return parsed.data;
}

/**
 * Apply one directory command exactly once (its writes commit with its outcome). The payload is
 * checked here, since the rooms topology that dispatches to it parses only its own commands.
 */
export function applyDirectoryCommand(record: DepotRecord<unknown>, topology: string): Promise<DirectoryResult> {
  const command = parseDirectoryRecord(record);
  return applyOnce(record, topology, () =>
    refusingWith(async () => {
      const plan = await planDirectoryCommand(command);
      return { writes: await prepare(plan.ops), value: plan.value };
    }),
  );
}
