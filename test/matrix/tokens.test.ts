import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { decodePositionToken, positionToken, tryDecodePositionToken } from '../../lib/matrix/tokens.ts';

describe('pagination tokens', () => {
  it('round-trips every position', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => decodePositionToken(positionToken(n)) === n));
  });

  it.each(['', 'p', 'p-1', 'p01', 'p1.5', 'x5', 'p 5', ' p5', 'p99999999999999999', 's123_4', 'P5'])('refuses %j with 400 M_INVALID_PARAM', (token) => {
    let error: unknown;
    try {
      decodePositionToken(token, 'from');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MatrixError);
    expect((error as MatrixError).status).toBe(400);
    expect((error as MatrixError).errcode).toBe('M_INVALID_PARAM');
    expect((error as MatrixError).message).toContain('from');
    expect(tryDecodePositionToken(token)).toBeUndefined();
  });

  it('refuses to encode what is not a position', () => {
    expect(() => positionToken(-1)).toThrow();
    expect(() => positionToken(1.5)).toThrow();
  });
});
