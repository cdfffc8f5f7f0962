// Commands of the users depot that create, change and delete registration tokens. They are applied
// by the users topology, in order per token (partition key `registrationToken:<token>`), so that
// "already exists" and "no such token" are decided against the state every earlier write left.
import { z } from 'zod';

/** Synapse's limits: at most 64 characters of [A-Za-z0-9._~-]. */
export const MAX_TOKEN_LENGTH = 64;
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

const token = z.string().regex(TOKEN_PATTERN);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const epochMs = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const base = { token, ts: z.number() };

export const registrationTokenCommand = z.discriminatedUnion('kind', [
  /** A new token (refused if the token exists); null: unlimited uses / no expiry. */
  z.object({ kind: z.literal('registrationToken.create'), ...base, usesAllowed: count.nullable(), expiryTime: epochMs.nullable() }),
  /** Absent: unchanged; null: unlimited / never. */
  z.object({ kind: z.literal('registrationToken.update'), ...base, usesAllowed: count.nullable().optional(), expiryTime: epochMs.nullable().optional() }),
  z.object({ kind: z.literal('registrationToken.delete'), ...base }),
]);
export type RegistrationTokenCommand = z.infer<typeof registrationTokenCommand>;
export const isRegistrationTokenCommandKind = (kind: string | undefined): boolean => kind?.startsWith('registrationToken.') ?? false;

/** The partition of a token's commands in the users depot. */
export const tokenPartitionKey = (t: string) => `registrationToken:${t}`;
