// Cross-signing signatures (POST /keys/signatures/upload), applied by the keys topology in the
// signer's partition. As Synapse: a user's self-signing key signs their own devices, their devices
// sign their own master key, and their user-signing key signs other users' master keys. Each
// signature is verified (ed25519 over the stored key's canonical JSON) before it is kept; the signed
// object must be the stored key. Failures are per key: M_NOT_FOUND for an unknown device or key or a
// missing signing key, M_INVALID_SIGNATURE for a mismatching key or a bad signature.
import type { WriteOp } from '../../core/pstate/index.ts';
import { crossSigningKeys, crossSigningSignatures, deviceListChanges, signatureChanges } from '../pstates.ts';
import type { KeysCommandOf } from './commands.ts';
import { allDeviceKeys } from './device-keys.ts';
import { crossSigningPublicKey, sameSignedContent, signatureOf, verifySignedJson } from './signed-json.ts';

/** Each record commits in one transaction: this many signed objects per request at most. */
export const MAX_SIGNED_OBJECTS = 40;

type KeyObject = Record<string, unknown>;
export type SignatureFailures = Record<string, Record<string, { errcode: string; error: string }>>;

const signatureKey = (targetKeyId: string, signer: string, signerKeyId: string) => `${targetKeyId}\u0000${signer}\u0000${signerKeyId}`;

async function crossSigningKeysOf(userId: string): Promise<Record<string, KeyObject>> {
  const page = await crossSigningKeys.key(userId).range({ limit: 10, consistent: true });
  return Object.fromEntries(page.entries);
}

function deviceEd25519(device: KeyObject, deviceId: string): string | undefined {
  const key = (device.keys as Record<string, unknown> | undefined)?.[`ed25519:${deviceId}`];
  return typeof key === 'string' ? key : undefined;
}

export async function planSignatures(c: KeysCommandOf<'keys.signatures'>, position: string): Promise<{ ops: WriteOp[]; failures: SignatureFailures }> {
  const signer = c.userId;
  const ops: WriteOp[] = [];
  const failures: SignatureFailures = {};
  const fail = (userId: string, keyId: string, errcode: 'M_NOT_FOUND' | 'M_INVALID_SIGNATURE', error: string) => {
    (failures[userId] ??= {})[keyId] = { errcode, error };
  };
  const keep = (target: string, targetKeyId: string, signerKeyId: string, signature: string, signedKey: string) =>
    ops.push(crossSigningSignatures.key(target).key(signatureKey(targetKeyId, signer, signerKeyId)).set({ signature, signedKey }));

  const mine = await crossSigningKeysOf(signer);
  const masterPublic = crossSigningPublicKey(mine.master);
  const selfSigningPublic = crossSigningPublicKey(mine.self_signing);
  const userSigningPublic = crossSigningPublicKey(mine.user_signing);
  let ownChanged = false;

  const own = c.signed[signer];
  if (own) {
    const devices = await allDeviceKeys(signer, true);
    for (const [keyId, object] of Object.entries(own)) {
      if (masterPublic !== undefined && keyId === masterPublic) {
        // The user's master key, signed by their devices (other signatures on it, e.g. its own, are not news).
        if (!sameSignedContent(object, mine.master!)) {
          fail(signer, keyId, 'M_INVALID_SIGNATURE', 'Key does not match the uploaded master key');
          continue;
        }
        const byDevices = Object.keys((object.signatures as Record<string, Record<string, unknown>> | undefined)?.[signer] ?? {});
        for (const signerKeyId of byDevices) {
          const device = signerKeyId.startsWith('ed25519:') ? devices[signerKeyId.slice('ed25519:'.length)] : undefined;
          const devicePublic = device && deviceEd25519(device, signerKeyId.slice('ed25519:'.length));
          if (devicePublic === undefined) continue;
          if (!verifySignedJson(object, signer, signerKeyId, devicePublic)) {
            fail(signer, keyId, 'M_INVALID_SIGNATURE', `Invalid signature by ${signerKeyId}`);
            continue;
          }
          keep(signer, keyId, signerKeyId, signatureOf(object, signer, signerKeyId)!, masterPublic);
          ownChanged = true;
        }
        continue;
      }
      const device = devices[keyId];
      const devicePublic = device && deviceEd25519(device, keyId);
      if (!device || devicePublic === undefined) {
        fail(signer, keyId, 'M_NOT_FOUND', 'Unknown device or key');
        continue;
      }
      if (selfSigningPublic === undefined) {
        fail(signer, keyId, 'M_NOT_FOUND', 'No self-signing key');
        continue;
      }
      const signerKeyId = `ed25519:${selfSigningPublic}`;
      if (!sameSignedContent(object, device)) {
        fail(signer, keyId, 'M_INVALID_SIGNATURE', 'Key does not match the uploaded device keys');
        continue;
      }
      if (!verifySignedJson(object, signer, signerKeyId, selfSigningPublic)) {
        fail(signer, keyId, 'M_INVALID_SIGNATURE', 'Invalid signature by the self-signing key');
        continue;
      }
      keep(signer, keyId, signerKeyId, signatureOf(object, signer, signerKeyId)!, devicePublic);
      ownChanged = true;
    }
  }

  for (const [target, objects] of Object.entries(c.signed)) {
    if (target === signer) continue;
    const targetMaster = (await crossSigningKeys.key(target).key('master').get({ consistent: true })) as KeyObject | undefined;
    const targetMasterPublic = crossSigningPublicKey(targetMaster);
    for (const [keyId, object] of Object.entries(objects)) {
      if (userSigningPublic === undefined) {
        fail(target, keyId, 'M_NOT_FOUND', 'No user-signing key');
        continue;
      }
      // Only other users' master keys can be signed (by the user-signing key).
      if (targetMasterPublic === undefined || keyId !== targetMasterPublic) {
        fail(target, keyId, 'M_NOT_FOUND', 'Not the master key of that user');
        continue;
      }
      const signerKeyId = `ed25519:${userSigningPublic}`;
      if (!sameSignedContent(object, targetMaster!)) {
        fail(target, keyId, 'M_INVALID_SIGNATURE', 'Key does not match the uploaded master key');
        continue;
      }
      if (!verifySignedJson(object, signer, signerKeyId, userSigningPublic)) {
        fail(target, keyId, 'M_INVALID_SIGNATURE', 'Invalid signature by the user-signing key');
        continue;
      }
      keep(target, keyId, signerKeyId, signatureOf(object, signer, signerKeyId)!, targetMasterPublic);
      // Synapse: the signed user's device list is "changed" for the signer (only).
      ops.push(signatureChanges.key(signer).key(target).set(position));
    }
  }
  // Signatures on one's own keys change what co-members must verify: a device-list change.
  if (ownChanged) ops.push(deviceListChanges.key(signer).set(position));
  return { ops, failures };
}

/** A stored signature: who signed which key with which of their keys. */
export interface StoredSignature {
  targetKeyId: string;
  signer: string;
  signerKeyId: string;
  signature: string;
  signedKey: string;
}

/**
 * The signatures on `userId`'s keys that `requester` may see: those by the user themself (self-
 * signing and device signatures) to everyone, a user-signing signature only to its signer.
 */
export async function signaturesOn(userId: string, requester: string): Promise<StoredSignature[]> {
  const out: StoredSignature[] = [];
  for (const [key, { signature, signedKey }] of await crossSigningSignatures.key(userId).entries({ limit: 200 })) {
    const [targetKeyId, signer, signerKeyId] = key.split('\u0000') as [string, string, string];
    if ((signer === userId || signer === requester) && signature !== undefined && signedKey !== undefined) {
      out.push({ targetKeyId, signer, signerKeyId, signature, signedKey });
    }
  }
  return out;
}

/**
 * The key object with the stored signatures on it merged into `signatures` — only those made over
 * its current public key (`publicKeyId` in `keys`): a replaced key drops its old signatures.
 */
export function mergeSignatures(key: KeyObject, targetKeyId: string, publicKeyId: string, signatures: StoredSignature[]): KeyObject {
  const current = (key.keys as Record<string, unknown> | undefined)?.[publicKeyId];
  const relevant = signatures.filter((s) => s.targetKeyId === targetKeyId && s.signedKey === current);
  if (relevant.length === 0) return key;
  const merged: Record<string, Record<string, unknown>> = { ...((key.signatures as Record<string, Record<string, unknown>> | undefined) ?? {}) };
  for (const s of relevant) merged[s.signer] = { ...merged[s.signer], [s.signerKeyId]: s.signature };
  return { ...key, signatures: merged };
}
