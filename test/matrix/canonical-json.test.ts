import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, compareCodePoints, isCanonicalJsonValue } from '../../lib/matrix/canonical-json.ts';

describe('canonical JSON', () => {
  it('matches the examples of the spec appendix', () => {
    expect(canonicalJson({ one: 1, two: 'Two' })).toBe('{"one":1,"two":"Two"}');
    expect(canonicalJson({ b: '2', a: '1' })).toBe('{"a":"1","b":"2"}');
    expect(
      canonicalJson({
        auth: {
          success: true,
          mxid: '@john.doe:example.com',
          profile: {
            display_name: 'John Doe',
            three_pids: [
              { medium: 'email', address: 'john.doe@example.org' },
              { medium: 'msisdn', address: '123456789' },
            ],
          },
        },
      }),
    ).toBe(
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    );
    expect(canonicalJson({ a: '日本語' })).toBe('{"a":"日本語"}');
    expect(canonicalJson({ 本: 2, 日: 1 })).toBe('{"日":1,"本":2}');
    expect(canonicalJson(JSON.parse('{"a": "\\u65E5"}'))).toBe('{"a":"日"}');
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
    expect(canonicalJson({ a: -0, b: 1e10 })).toBe('{"a":0,"b":10000000000}');
    expect(canonicalJson({ a: '\u0001\n"\\/' })).toBe('{"a":"\\u0001\\n\\"\\\\/"}');
  });

  it('refuses floats and numbers outside the exact integer range', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow();
    expect(() => canonicalJson([2 ** 53])).toThrow();
    expect(isCanonicalJsonValue({ a: [1, 'x', { b: true }] })).toBe(true);
    expect(isCanonicalJsonValue({ a: Number.NaN })).toBe(false);
  });

  it('orders keys by code point, not by UTF-16 unit', () => {
    // U+FF61 sorts before U+1F600 by code point but after it by UTF-16 code unit.
    expect(compareCodePoints('\uFF61', '\u{1F600}')).toBeLessThan(0);
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF61': 2 })).toBe('{"\uFF61":2,"\u{1F600}":1}');
  });

  it('round-trips through JSON.parse and does not depend on key insertion order', () => {
    const json = fc.jsonValue().filter((v) => isCanonicalJsonValue(v));
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(text).not.toMatch(/^\s|\s$/);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });
});
