// Key encoding: the byte order of encodings (DynamoDB's sort order) is the documented key order,
// and encoding is injective, for any string (empty, `#`, control characters, unicode) and number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareBytes,
  compareKeys,
  decodeIndex,
  decodeString,
  encodeIndex,
  encodeNumber,
  encodeString,
  numberFromOrderHex,
  partitionKey,
  rangeBounds,
  structurePrefix,
} from '../../../lib/core/pstate/keys.ts';
import { isWellFormedString } from '../../../lib/core/pstate/schema.ts';

const anyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u0002', '\u0003', '\u0004', '#', 'a', '\uffff', '😀', 'é'), maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }).filter(isWellFormedString),
);
const anyNumber = fc.double({ noNaN: true, noDefaultInfinity: true });

const sign = (n: number) => Math.sign(n);

/** The documented string order, computed independently: code point by code point. */
function codePointOrder(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

describe('key encoding', () => {
  it('orders strings by UTF-8 bytes of the raw key, and is injective', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(sign(compareBytes(encodeString(a), encodeString(b)))).toBe(sign(codePointOrder(a, b)));
        expect(sign(compareKeys(a, b))).toBe(sign(codePointOrder(a, b)));
        expect(encodeString(a) === encodeString(b)).toBe(a === b);
        expect(decodeString(encodeString(a))).toBe(a);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps segments prefix-free: a path orders by its first differing segment', () => {
    fc.assert(
      fc.property(anyString, anyString, anyString, anyString, (a, x, b, y) => {
        fc.pre(a !== b);
        const left = encodeString(a) + encodeString(x);
        const right = encodeString(b) + encodeString(y);
        expect(sign(compareBytes(left, right))).toBe(sign(codePointOrder(a, b)));
      }),
      { numRuns: 1000 },
    );
  });

  it('orders numbers numerically and round-trips them (-0 is 0)', () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, (a, b) => {
        expect(sign(compareBytes(encodeNumber(a), encodeNumber(b)))).toBe(sign((a === 0 ? 0 : a) - (b === 0 ? 0 : b)));
        expect(numberFromOrderHex(encodeNumber(a).slice(0, -1))).toBe(a === 0 ? 0 : a);
      }),
      { numRuns: 2000 },
    );
    expect(encodeNumber(-0)).toBe(encodeNumber(0));
  });

  it('orders vector indexes numerically with a fixed width', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(encodeIndex(a)).toHaveLength(17);
        expect(sign(compareBytes(encodeIndex(a), encodeIndex(b)))).toBe(sign(a - b));
        expect(decodeIndex(encodeIndex(a))).toBe(a);
      }),
    );
    expect(() => encodeIndex(-1)).toThrow();
  });

  it('range bounds select exactly the keys within them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(anyString, { maxLength: 8 }),
        anyString,
        anyString,
        fc.boolean(),
        fc.boolean(),
        (keys, from, to, fromInclusive, toInclusive) => {
          const prefix = structurePrefix([encodeString('p')]);
          const bounds = rangeBounds(prefix, { encoded: encodeString(from), inclusive: fromInclusive }, { encoded: encodeString(to), inclusive: toInclusive });
          const selected = keys.filter((k) => {
            const sk = prefix + encodeString(k);
            return bounds !== undefined && compareBytes(bounds.low, sk) <= 0 && compareBytes(sk, bounds.high) <= 0;
          });
          const expected = keys.filter((k) => {
            const lo = codePointOrder(k, from);
            const hi = codePointOrder(k, to);
            return (fromInclusive ? lo >= 0 : lo > 0) && (toInclusive ? hi <= 0 : hi < 0);
          });
          expect(selected).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps PStates and top-level keys apart in the partition key', () => {
    expect(partitionKey('rooms', { schema: { kind: 'string', isSubindexed: false }, key: '' })).toBe('rooms#');
    expect(partitionKey('rooms', { schema: { kind: 'string', isSubindexed: false }, key: 'a#b' })).toBe('rooms#a#b');
    expect(partitionKey('rooms')).toBe('rooms');
  });
});
