// POST /keys/query: the stored device keys of the requested users (all their devices, or the ones
// named), with the cross-signing keys and the signatures the requester may see merged in. Nothing
// here fails per server, so `failures` is empty.
//
// Work per request is bounded: at most MAX_KEY_QUERY_USERS users (413 M_TOO_LARGE above; four times
// the 250 matrix-rust-sdk puts in one query; Synapse has no cap of its own), ids that are malformed
// or of another server are left out as Synapse does, users without an account get an empty entry
// after one batched read of the users PState, and the others are read KEY_QUERY_CONCURRENCY at a
// time (three reads each) — so a hostile query holds at most that many of the process' connections.
import { inPool, PER_REQUEST_CONCURRENCY } from '../../core/concurrency.ts';
import { existingLocalUsers } from '../accounts/existing.ts';
import { tooLarge } from '../errors.ts';
import { isValidUserId } from '../ids.ts';
import { allDeviceKeys } from './device-keys.ts';
import { crossSigningKeysFor } from './cross-signing.ts';
import { mergeSignatures, signaturesOn } from './signatures.ts';

export const MAX_KEY_QUERY_USERS = 1000;
export const KEY_QUERY_CONCURRENCY = PER_REQUEST_CONCURRENCY;

type Keys = Record<string, Record<string, unknown>>;

/** `requested`: user id → device ids (empty: every device). */
export async function queryKeys(requester: string, requested: Record<string, string[]>) {
  const users = Object.keys(requested);
  if (users.length > MAX_KEY_QUERY_USERS) throw tooLarge(`At most ${MAX_KEY_QUERY_USERS} users per key query`);
  const out = {
    device_keys: {} as Record<string, Keys>,
    master_keys: {} as Keys,
    self_signing_keys: {} as Keys,
    user_signing_keys: {} as Keys,
    failures: {},
  };
  // The spec's device_keys map has an entry per queried user, even with no devices.
  for (const userId of users) if (isValidUserId(userId)) out.device_keys[userId] = {};
  const known = await existingLocalUsers(users);
  await inPool([...known], KEY_QUERY_CONCURRENCY, async (userId) => {
    const signatures = await signaturesOn(userId, requester);
    const wanted = requested[userId]!;
    const devices = Object.entries(await allDeviceKeys(userId)).filter(([d]) => wanted.length === 0 || wanted.includes(d));
    out.device_keys[userId] = Object.fromEntries(devices.map(([d, keys]) => [d, mergeSignatures(keys, d, `ed25519:${d}`, signatures)]));
    const cross = await crossSigningKeysFor(requester, userId, signatures);
    if (cross.master) out.master_keys[userId] = cross.master;
    if (cross.self_signing) out.self_signing_keys[userId] = cross.self_signing;
    if (cross.user_signing) out.user_signing_keys[userId] = cross.user_signing;
  });
  return out;
}
