// The users-depot commands of pushers (POST /pushers/set), told apart from the other topologies'
// commands on the depot by the `pushers.` prefix of their kind.
import { z } from 'zod';
import { chars, id, jsonObjectWithin, text } from '../command-fields.ts';
import { MAX_APP_ID_CHARS, MAX_PUSHKEY_BYTES } from '../pushers.ts';
import { MAX_USER_DATA_BYTES } from '../user-data/limits.ts';

export const pusherCommand = z.discriminatedUnion('kind', [
  /** A pusher as set (checked by pushers.ts), stored whole; `deviceId`: the device whose token set it. */
  z.object({ kind: z.literal('pushers.set'), userId: id, pusher: jsonObjectWithin(MAX_USER_DATA_BYTES), append: z.boolean(), deviceId: id.optional() }),
  z.object({ kind: z.literal('pushers.delete'), userId: id, appId: chars(MAX_APP_ID_CHARS), pushkey: text(MAX_PUSHKEY_BYTES) }),
]);
export type PusherCommand = z.infer<typeof pusherCommand>;

export const isPusherCommandKind = (kind: string | undefined): boolean => kind?.startsWith('pushers.') ?? false;
