// POST /keys/claim: one command per user whose keys are claimed (a user's claims are serialized by
// its partition of the users depot, with its uploads). Work per request is bounded by what exists:
// user and device ids that are malformed, of another server, or name no device of an account are
// skipped after one batched read of the devices PState (100 a request), the rest go out as one
// batch of commands (submitMany: batched appends and polls), each counted against the claimer's
// fan-out budget — so a claim naming 3,000 users who do not exist costs 30 reads and nothing more.
import { getMany } from '../../core/pstate/index.ts';
import { submitMany } from '../commands.ts';
import { isLocalUser } from '../ids.ts';
import { MAX_IDENTIFIER_BYTES } from '../path-parameters.ts';
import { devices } from '../pstates.ts';
import { limitFanOut } from '../rate-limits.ts';
import type { KeysCommand } from './commands.ts';

const isDeviceId = (d: string) => d.length > 0 && Buffer.byteLength(d, 'utf8') <= MAX_IDENTIFIER_BYTES;

/** `requested`: user id → device id → algorithm. Answers the claimed keys by user and device. */
export async function claimKeys(claimer: string, requested: Record<string, Record<string, string>>) {
  const pairs = Object.entries(requested).flatMap(([userId, byDevice]) =>
    isLocalUser(userId) ? Object.entries(byDevice).filter(([d]) => isDeviceId(d)).map(([deviceId, algorithm]) => ({ userId, deviceId, algorithm })) : [],
  );
  const found = await getMany(pairs.map((p) => devices.key(p.userId).key(p.deviceId).field('createdTs')));
  const byUser = new Map<string, Record<string, string>>();
  pairs.forEach((p, i) => {
    if (found[i] !== undefined) (byUser.get(p.userId) ?? byUser.set(p.userId, {}).get(p.userId)!)[p.deviceId] = p.algorithm;
  });
  await limitFanOut(claimer, byUser.size);
  const commands = [...byUser].map(([userId, devices]) => ({ partitionKey: userId, command: { kind: 'keys.claim', userId, devices } satisfies KeysCommand }));
  const results = await submitMany<{ one_time_keys: Record<string, unknown> }>('users', commands);
  const oneTimeKeys: Record<string, unknown> = {};
  // A claim refused or not answered within the wait is left out: the client claims again later.
  results.forEach((r, i) => {
    if (r?.ok && Object.keys(r.value.one_time_keys).length > 0) oneTimeKeys[commands[i]!.partitionKey] = r.value.one_time_keys;
  });
  return { one_time_keys: oneTimeKeys, failures: {} };
}
