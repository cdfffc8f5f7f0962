// Size limits of per-user data. Each entry is one item (DynamoDB: 400 KB) carried by one depot
// record (Kinesis: 1 MB); refusing oversized input up front (413 M_TOO_LARGE) keeps a record that
// could never be written from reaching the topology. 64 KB matches the limit on events.
import { tooLarge } from '../errors.ts';

export const MAX_USER_DATA_BYTES = 65_536;
/** A push ruleset is stored whole: room for a few hundred user rules. */
export const MAX_PUSH_RULESET_BYTES = 256 * 1024;

export function assertWithinLimit(value: unknown, what: string, limit = MAX_USER_DATA_BYTES): void {
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > limit) throw tooLarge(`${what} is larger than ${limit} bytes`);
}
