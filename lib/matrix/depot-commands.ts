// Every command kind of every depot, each with its validator (the depots' `*/commands.ts`, built
// from command-fields.ts): `submit` runs it at the edge before appending, and each topology runs
// the same one as its payload parser. A depot's kinds are told apart by their `kind`.
import { z } from 'zod';
import { usersTopologyCommand } from './accounts/commands.ts';
import { validateCommand } from './command-fields.ts';
import type { Depot } from './depots.ts';
import { ephemeralCommand } from './ephemeral/commands.ts';
import { keysCommand } from './keys/commands.ts';
import { pusherCommand } from './notifications/commands.ts';
import { roomsDepotCommand } from './rooms/commands.ts';
import { submissionCommand } from './submissions/commands.ts';
import { userDataCommand } from './user-data/commands.ts';

/** The users depot carries the commands of five topologies: accounts (and registration tokens), user data, keys, submissions, pushers. */
export const usersDepotCommand = z.discriminatedUnion('kind', [usersTopologyCommand, userDataCommand, keysCommand, submissionCommand, pusherCommand]);

export const depotCommands = {
  rooms: roomsDepotCommand,
  users: usersDepotCommand,
  ephemeral: ephemeralCommand,
} as const satisfies Record<Depot, z.ZodType>;

/** Refuse (MatrixError, with the errcode its field names) a command its depot's topology could not store. */
export function validateDepotCommand(depot: Depot, command: unknown): void {
  validateCommand(depotCommands[depot], command);
}
