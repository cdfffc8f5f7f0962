// The rooms-depot commands of the room directory (partition key = room id): alias mappings and
// the room's visibility in the published directory. Their kinds start with `directory.`, so the
// rooms topology can hand them to applyDirectoryCommand, applied in order with the room's events.
import { z } from 'zod';
import { id } from '../command-fields.ts';

const base = { roomId: id, userId: id };

export const directoryCommand = z.discriminatedUnion('kind', [
  /** PUT /directory/room/{alias}: map a local alias to the room (409 when taken). */
  z.object({ kind: z.literal('directory.setAlias'), ...base, alias: id }),
  /** DELETE /directory/room/{alias}: the operation resolved the alias to this room. */
  z.object({ kind: z.literal('directory.deleteAlias'), ...base, alias: id }),
  /** PUT /directory/list/room/{roomId}. */
  z.object({ kind: z.literal('directory.visibility'), ...base, visibility: z.enum(['public', 'private']), ts: z.number() }),
]);
export type DirectoryCommand = z.infer<typeof directoryCommand>;
export type DirectoryCommandOf<K extends DirectoryCommand['kind']> = Extract<DirectoryCommand, { kind: K }>;

export const isDirectoryCommandKind = (kind: string | undefined): boolean => kind?.startsWith('directory.') ?? false;

export function isDirectoryCommand(command: unknown): command is DirectoryCommand {
  return typeof command === 'object' && command !== null && isDirectoryCommandKind((command as { kind?: string }).kind);
}
