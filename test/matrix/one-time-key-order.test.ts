import { describe, expect, it } from 'vitest';
import { clientKeyId, orderedKeyId } from '../../lib/matrix/keys/one-time-key-order.ts';

describe('one-time key order', () => {
  it('sorts stored keys by algorithm, then upload position and index, after keys stored unordered', () => {
    const stored = [
      orderedKeyId('signed_curve25519:AAAAAA', '0002', 0),
      orderedKeyId('signed_curve25519:zzzz', '0001', 1),
      'signed_curve25519:legacy',
      orderedKeyId('signed_curve25519:mmmm', '0001', 0),
      orderedKeyId('curve25519:x', '0009', 0),
    ].sort();
    expect(stored.map(clientKeyId)).toEqual(['curve25519:x', 'signed_curve25519:legacy', 'signed_curve25519:mmmm', 'signed_curve25519:zzzz', 'signed_curve25519:AAAAAA']);
  });

  it('gives back key ids that contain colons', () => {
    expect(clientKeyId(orderedKeyId('alg:a:b', '1', 2))).toBe('alg:a:b');
  });
});
