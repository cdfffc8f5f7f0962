// Cross-signing keys: stored as uploaded (signatures on them come with POST /keys/signatures/upload); a user's
// user_signing key is shown only to that user (spec: /keys/query).
import type { WriteOp } from '../../core/pstate/index.ts';
import { crossSigningKeys, deviceListChanges } from '../pstates.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import type { KeysCommandOf } from './commands.ts';
import { mergeSignatures, type StoredSignature } from './signatures.ts';
import { crossSigningPublicKey } from './signed-json.ts';

export const CROSS_SIGNING_TYPES = ['master', 'self_signing', 'user_signing'] as const;

export function planCrossSigning(c: KeysCommandOf<'keys.crossSigning'>, at: Pick<DepotRecord, 'lane' | 'sequenceNumber'>): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const type of CROSS_SIGNING_TYPES) {
    const key = c.keys[type];
    if (key) ops.push(crossSigningKeys.key(c.userId).key(type).set(key));
  }
  // New cross-signing keys change what others must verify: a device-list change.
  if (ops.length) ops.push(deviceListChanges.key(c.userId).set(`${at.lane}/${sequencePosition(at.sequenceNumber)}`));
  return ops;
}

/** A user's cross-signing keys as /keys/query shows them to `requester` (master with the signatures it may see). */
export async function crossSigningKeysFor(requester: string, userId: string, signatures: StoredSignature[]) {
  const out: { master?: Record<string, unknown>; self_signing?: Record<string, unknown>; user_signing?: Record<string, unknown> } = {};
  const page = await crossSigningKeys.key(userId).range({ limit: 10 });
  for (const [type, key] of page.entries) {
    if (type === 'master') {
      const publicKey = crossSigningPublicKey(key);
      out.master = publicKey === undefined ? key : mergeSignatures(key, publicKey, `ed25519:${publicKey}`, signatures);
    } else if (type === 'self_signing') out.self_signing = key;
    else if (type === 'user_signing' && userId === requester) out.user_signing = key;
  }
  return out;
}
