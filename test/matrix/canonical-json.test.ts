import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../lib/core/json-depth.ts';
import { canonicalJson, compareCodePoints, isCanonicalJsonValue } from '../../lib/matrix/canonical-json.ts';
import { MAX_JSON_DEPTH, parseJsonText, refuseDeepJson } from '../../lib/matrix/request-schemas.ts';

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

  it('serialises documents of any depth without overflowing the stack', () => {
    const depth = 100_000;
    let arrays: unknown = 1;
    let objects: unknown = 'x';
    for (let i = 0; i < depth; i++) {
      arrays = [arrays, i === 0 ? null : 'a'];
      objects = { b: objects, a: i };
    }
    const text = canonicalJson(arrays);
    expect(text.startsWith('['.repeat(depth) + '1,null],"a"]')).toBe(true);
    expect(text.length).toBe(8 + 6 * (depth - 1)); // [1,null] inside depth - 1 × [ … ,"a"]
    const objectText = canonicalJson(objects);
    expect(objectText.startsWith(`{"a":${depth - 1},"b":{"a":${depth - 2},`)).toBe(true);
    expect(objectText.endsWith(`"b":"x"${'}'.repeat(depth)}`)).toBe(true);
    expect(isCanonicalJsonValue(arrays)).toBe(true);
    expect(isCanonicalJsonValue({ deep: arrays, bad: 0.5 })).toBe(false);
  });
});

describe('JSON nesting depth', () => {
  it('is measured without recursion, and request values deeper than MAX_JSON_DEPTH are M_BAD_JSON', () => {
    const nest = (depth: number): unknown => {
      let v: unknown = {};
      for (let i = 1; i < depth; i++) v = i % 2 ? [v] : { k: v, other: [1, 'x'] };
      return v;
    };
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan(nest(3), 3)).toBe(false);
    expect(nestsDeeperThan(nest(4), 3)).toBe(true);
    expect(nestsDeeperThan(nest(200_000), 199_999)).toBe(true);
    expect(refuseDeepJson(nest(MAX_JSON_DEPTH))).toEqual(nest(MAX_JSON_DEPTH));
    expect(() => refuseDeepJson(nest(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ status: 400, errcode: 'M_BAD_JSON' }));
    const text = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(() => parseJsonText(text)).toThrow(expect.objectContaining({ status: 400, errcode: 'M_BAD_JSON' }));
    expect(() => parseJsonText('{')).toThrow(expect.objectContaining({ status: 400, errcode: 'M_NOT_JSON' }));
  });
});
