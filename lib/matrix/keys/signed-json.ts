// Signed JSON (Matrix appendix "Signing JSON"): an ed25519 signature over the canonical JSON of an
// object without its `signatures` and `unsigned`. Verifying costs one node:crypto call, so the
// server checks cross-signing signatures before storing them, as Synapse does.
import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';

/** DER prefix of an ed25519 SubjectPublicKeyInfo: the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

type Signatures = Record<string, Record<string, unknown>>;

/** The object as it was signed: without `signatures` and `unsigned`. */
export function signedPart(object: Record<string, unknown>): Record<string, unknown> {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object;
  return rest;
}

/** Whether two key objects are the same key (their signatures aside). */
export function sameSignedContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  try {
    return canonicalJson(signedPart(a)) === canonicalJson(signedPart(b));
  } catch {
    return false;
  }
}

/** The signature `signer` made with `keyId` on the object, if it carries one. */
export function signatureOf(object: Record<string, unknown>, signer: string, keyId: string): string | undefined {
  const signature = (object.signatures as Signatures | undefined)?.[signer]?.[keyId];
  return typeof signature === 'string' ? signature : undefined;
}

/** Whether `signer`'s signature by `keyId` on the object verifies with the (unpadded base64) ed25519 public key. */
export function verifySignedJson(object: Record<string, unknown>, signer: string, keyId: string, publicKey: string): boolean {
  const signature = signatureOf(object, signer, keyId);
  const raw = Buffer.from(publicKey, 'base64');
  if (signature === undefined || raw.length !== 32) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(canonicalJson(signedPart(object)), 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The public key of a cross-signing key object: its (single) `ed25519:<public key>` entry. */
export function crossSigningPublicKey(key: Record<string, unknown> | undefined): string | undefined {
  const keys = key?.keys;
  if (typeof keys !== 'object' || keys === null) return undefined;
  for (const [id, value] of Object.entries(keys as Record<string, unknown>)) {
    if (id.startsWith('ed25519:') && typeof value === 'string') return value;
  }
  return undefined;
}
