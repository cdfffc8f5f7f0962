import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { documentedOperations, expectValidResponse, specDir, validateResponse, validateStandardError } from './openapi.ts';

const client = '/_matrix/client/v3';

describe('validateResponse', () => {
  it('accepts a correct versions body and names the missing field of a wrong one', () => {
    expect(validateResponse('GET', '/_matrix/client/versions', 200, { versions: ['v1.11'] })).toEqual({ ok: true });
    const missing = validateResponse('GET', '/_matrix/client/versions', 200, { unstable_features: {} });
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.errors.join('\n')).toContain("required property 'versions'");
  });

  it('reports a wrong type with the offending location', () => {
    const result = validateResponse('GET', '/_matrix/client/versions', 200, { versions: [11] });
    expect(result).toMatchObject({ ok: false, errors: ['/versions/0 must be string'] });
  });

  it('checks a login response including Matrix id formats', () => {
    const good = { user_id: '@alice:localhost', access_token: 'abc', device_id: 'DEV' };
    expect(validateResponse('POST', `${client}/login`, 200, good)).toEqual({ ok: true });
    const bad = validateResponse('POST', `${client}/login`, 200, { ...good, user_id: 'alice' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.join('\n')).toMatch(/user_id/);
  });

  it('fails on an undocumented status, method or path', () => {
    const send = `${client}/rooms/!r:localhost/send/m.room.message/t1`;
    expect(validateResponse('PUT', send, 201, { event_id: '$e' })).toMatchObject({ ok: false, errors: [expect.stringContaining('status 201 is not documented')] });
    expect(validateResponse('DELETE', `${client}/login`, 200, {})).toMatchObject({ ok: false, errors: [expect.stringContaining('method DELETE is not documented')] });
    expect(validateResponse('GET', `${client}/no/such/endpoint`, 200, {})).toMatchObject({ ok: false, errors: [expect.stringContaining('no documented path')] });
  });

  it('matches path parameters holding percent-encoded ! : @ $ and a query string', () => {
    const room = encodeURIComponent('!room:example.org');
    const event = encodeURIComponent('$event:example.org');
    const user = encodeURIComponent('@alice:example.org');
    expect(room).toContain('%3A');
    expect(validateResponse('PUT', `${client}/rooms/${room}/send/m.room.message/txn%201`, 200, { event_id: '$abc' })).toEqual({ ok: true });
    const redact = validateResponse('PUT', `${client}/rooms/${room}/redact/${event}/t2`, 200, { event_id: 'no-dollar' });
    expect(redact).toMatchObject({ ok: false, operation: expect.stringContaining('/redact/{eventId}/{txnId}') });
    expect(validateResponse('GET', `${client}/profile/${user}?x=1`, 200, { displayname: 'Alice' })).toEqual({ ok: true });
    expect(validateResponse('GET', `${client}/rooms/!raw:example.org/joined_members`, 200, { joined: {} })).toEqual({ ok: true });
  });

  it('prefers the most specific template and accepts an empty state key with or without slash', () => {
    // /pushrules/global/ is documented on its own besides /pushrules/{scope}/{kind}/{ruleId}.
    const ruleset = validateResponse('GET', `${client}/pushrules/global/`, 200, { override: 'not a list' });
    expect(ruleset.ok ? '' : ruleset.operation).toContain('/pushrules/global/');
    const state = { name: 'A room' };
    expect(validateResponse('GET', `${client}/rooms/!r:x/state/m.room.name/`, 200, state)).toEqual({ ok: true });
    expect(validateResponse('GET', `${client}/rooms/!r:x/state/m.room.name`, 200, state)).toEqual({ ok: true });
  });

  it('validates documented error responses and the well-known document', () => {
    const state = `${client}/rooms/!r:x/state/m.room.name/`;
    expect(validateResponse('PUT', state, 403, { errcode: 'M_FORBIDDEN', error: 'no' })).toEqual({ ok: true });
    expect(validateResponse('PUT', state, 403, { error: 'no' }).ok).toBe(false);
    // A documented status without a body schema (GET state 404) accepts any body.
    expect(validateResponse('GET', state, 404, { errcode: 'M_NOT_FOUND' })).toEqual({ ok: true });
    expect(validateResponse('GET', '/.well-known/matrix/client', 200, { 'm.homeserver': { base_url: 'http://localhost:8008' } })).toEqual({ ok: true });
    expect(validateResponse('GET', '/.well-known/matrix/client', 200, { 'm.homeserver': {} }).ok).toBe(false);
  });

  it('validates errors the spec allows everywhere against the standard error schema', () => {
    expect(validateStandardError(401, { errcode: 'M_MISSING_TOKEN', error: 'x' })).toEqual({ ok: true });
    expect(validateStandardError(401, { error: 'x' }).ok).toBe(false);
    expect(validateStandardError(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 'soon' }).ok).toBe(false);
  });

  it('expectValidResponse throws a readable error naming the operation', () => {
    expect(() => expectValidResponse('GET', '/_matrix/client/versions', 200, { versions: ['v1.11'] })).not.toThrow();
    expect(() => expectValidResponse('GET', '/_matrix/client/versions', 200, {})).toThrow(/GET \/_matrix\/client\/versions.*\n.*required property 'versions'/);
  });

  it("accepts every self-contained response example of the spec (all files' schemas resolve)", () => {
    const dir = specDir;
    let checked = 0;
    const failures: string[] = [];
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const doc = parse(readFileSync(fileURLToPath(new URL(name, dir)), 'utf8')) as {
        servers?: { variables?: { basePath?: { default?: string } } }[];
        paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { examples?: { response?: { value?: unknown } } }> }> }>>;
      };
      const base = doc.servers?.[0]?.variables?.basePath?.default ?? '';
      for (const [template, item] of Object.entries(doc.paths ?? {})) {
        for (const [method, operation] of Object.entries(item)) {
          for (const [status, response] of Object.entries(operation.responses ?? {})) {
            const example = response.content?.['application/json']?.examples?.response?.value;
            // Examples that embed `$ref`s to example files are expanded by the spec's renderer only.
            if (example === undefined || JSON.stringify(example).includes('"$ref"')) continue;
            const path = base + template.replace(/\{[^}]+\}/g, 'p');
            const result = validateResponse(method, path, Number(status), example);
            checked++;
            if (!result.ok) failures.push(`${name} ${method} ${template} ${status}: ${result.errors.join('; ')}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(150);
    expect(documentedOperations().length).toBeGreaterThan(150);
  });
});
