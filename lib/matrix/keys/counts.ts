// Counts a device's client needs to keep its one-time keys topped up (upload response and /sync).
import { fallbackKeys, oneTimeKeys } from '../pstates.ts';
import { deviceKeyOwner } from './commands.ts';
import { clientKeyId } from './one-time-key-order.ts';

/** Every one-time key id (`<algorithm>:<key id>`) the device still has. */
export async function oneTimeKeyIds(userId: string, deviceId: string, consistent = false): Promise<string[]> {
  const keys = await oneTimeKeys.key(deviceKeyOwner(userId, deviceId)).entries({ consistent, limit: 500 });
  return keys.map(([stored]) => clientKeyId(stored));
}

/** algorithm → how many one-time keys are left. */
export function countByAlgorithm(ids: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const algorithm = id.slice(0, id.indexOf(':'));
    counts[algorithm] = (counts[algorithm] ?? 0) + 1;
  }
  return counts;
}

/**
 * Consistent reads: a stale count would make the client upload keys it does not need.
 * `signed_curve25519` is always there, 0 when none is left (as Synapse): older matrix-sdk-crypto
 * only tops up the algorithms the count lists.
 */
export async function oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
  return { signed_curve25519: 0, ...countByAlgorithm(await oneTimeKeyIds(userId, deviceId, true)) };
}

/** The algorithms of the device's fallback keys not yet used by a claim. */
export async function unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
  const page = await fallbackKeys.key(deviceKeyOwner(userId, deviceId)).range({ limit: 100, consistent: true });
  return page.entries.filter(([, k]) => !k.used).map(([algorithm]) => algorithm);
}
