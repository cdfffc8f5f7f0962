// Cross-signing keys: stored as uploaded (signatures on them come with POST /keys/signatures/upload); a user's
// user_signing key is shown only to that user (spec: /keys/query).
import type { WriteOp } from '../../core/pstate/index.ts';
import { crossSigningKeys, deviceListChanges } from '../pstates.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import type { KeysCommandOf } from './commands.ts';
import { mergeSignatures, type StoredSignature } from './signatures.ts';
import { crossSigningPublicKey } from './signed-json.ts';

export const CROSS_SIGNING_TYPES = ['master', 'self_signing', 'user_signing'] as const;

export function planCrossSigning(c: KeysCommandOf<'keys.crossSigning'>, at: Pick<DepotRecord, 'shardId' | 'sequenceNumber'>): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const type of CROSS_SIGNING_TYPES) {
    const key = c.keys[type];
    if (key) ops.push(crossSigningKeys.key(c.userId).key(type).set(key));
  }
  // New cross-signing keys change what others must verify: a device-list change.
  if (ops.length) ops.push(deviceListChanges.key(c.userId).set(`${at.shardId}/${sequencePosition(at.sequenceNumber)}`));
  return ops;
}

/** The query response's master_keys (with the signatures the requester may see), self_signing_keys and user_signing_keys. */
export async function queryCrossSigningKeys(requester: string, userIds: string[], signatures: Record<string, StoredSignature[]>) {
  const out = { master_keys: {} as Record<string, unknown>, self_signing_keys: {} as Record<string, unknown>, user_signing_keys: {} as Record<string, unknown> };
  await Promise.all(
    userIds.map(async (userId) => {
      const page = await crossSigningKeys.key(userId).range({ limit: 10 });
      for (const [type, key] of page.entries) {
        if (type === 'master') {
          const publicKey = crossSigningPublicKey(key);
          out.master_keys[userId] = publicKey === undefined ? key : mergeSignatures(key, publicKey, `ed25519:${publicKey}`, signatures[userId] ?? []);
        } else if (type === 'self_signing') out.self_signing_keys[userId] = key;
        else if (type === 'user_signing' && userId === requester) out.user_signing_keys[userId] = key;
      }
    }),
  );
  return out;
}
