import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { loginRequest, parseJsonText, parseRequestBody, stateEventInput } from '../../lib/matrix/request-schemas.ts';

const errcode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as MatrixError).errcode;
  }
  return undefined;
};

describe('request bodies', () => {
  const schema = z.object({ a: z.string(), nested: z.object({ b: z.number() }).optional() });
  it('maps a missing field to M_MISSING_PARAM and a wrong type to M_BAD_JSON', () => {
    expect(errcode(() => parseRequestBody(schema, {}))).toBe('M_MISSING_PARAM');
    expect(errcode(() => parseRequestBody(schema, { a: 1 }))).toBe('M_BAD_JSON');
    expect(errcode(() => parseRequestBody(schema, { a: 'x', nested: {} }))).toBe('M_MISSING_PARAM');
    expect(errcode(() => parseRequestBody(schema, ['a']))).toBe('M_BAD_JSON');
    expect(parseRequestBody(schema, { a: 'x' })).toEqual({ a: 'x' });
  });
  it('refuses non-JSON text with M_NOT_JSON', () => {
    expect(errcode(() => parseJsonText('{nope'))).toBe('M_NOT_JSON');
    expect(parseJsonText('{"a":1}')).toEqual({ a: 1 });
  });
  it('refuses with M_BAD_JSON what no JSON text in UTF-8 holds: lone surrogates in strings or keys, numbers past a double', () => {
    expect(errcode(() => parseJsonText('{"a":{"b":["x\\ud800"]}}'))).toBe('M_BAD_JSON');
    expect(errcode(() => parseJsonText('{"\\udc00":1}'))).toBe('M_BAD_JSON');
    expect(errcode(() => parseJsonText('{"n":[1e400]}'))).toBe('M_BAD_JSON');
    expect(errcode(() => parseJsonText('-1e999'))).toBe('M_BAD_JSON');
    expect(parseJsonText('{"pair":"\\ud83d\\ude00","n":1e300}')).toEqual({ pair: '😀', n: 1e300 });
  });
  it('keeps unknown keys of loose bodies and defaults the state key', () => {
    expect(parseRequestBody(loginRequest, { type: 'm.login.password', extra: 1 })).toMatchObject({ extra: 1 });
    expect(parseRequestBody(stateEventInput, { type: 't', content: {} })).toEqual({ type: 't', state_key: '', content: {} });
    expect(errcode(() => parseRequestBody(stateEventInput, { type: 't', content: { x: 0.5 } }))).toBe('M_BAD_JSON');
  });
  it('reports the failing path in the message', () => {
    try {
      parseRequestBody(schema, { a: 'x', nested: { b: 'no' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MatrixError);
      expect((error as MatrixError).message).toContain('nested.b');
    }
  });
});
