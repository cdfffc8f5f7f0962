import { axon } from '../../lib/matrix/module.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { registerUser } from '../support/accounts.ts';
import { createRoom, send } from './rooms-support.ts';

describe('discovery and the HTTP layer', () => {
  let runtime: LocalRuntime;
  let client: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('discovery');
    client = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  it('lists supported spec versions', async () => {
    const res = await client.get<{ versions: string[] }>('/_matrix/client/versions');
    expect(res.status).toBe(200);
    expect(res.body.versions).toContain('v1.1');
    // Authenticated media (v1.11) and room summaries (v1.15) are served; /sync's use_state_after (v1.16) is not.
    expect(res.body.versions).toContain('v1.11');
    expect(res.body.versions).toContain('v1.15');
    expect(res.body.versions).not.toContain('v1.16');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it("advertises Synapse's unstable feature flags for what is served, and no others", async () => {
    const res = await client.get<{ unstable_features: Record<string, boolean> }>('/_matrix/client/versions');
    expect(res.body.unstable_features).toEqual({
      'org.matrix.e2e_cross_signing': true,
      'org.matrix.msc2432': true,
      'org.matrix.msc2285.stable': true,
      'org.matrix.msc3827.stable': true,
      'org.matrix.msc3440.stable': true,
      'org.matrix.msc3771': true,
      'org.matrix.msc3916.stable': true,
      'com.beeper.msc4169': true,
      'org.matrix.simplified_msc3575': true,
    });
    // each backed by its routes
    const served = new Set(axon.http.routes.map((r) => `${r.method} ${r.path}`));
    for (const route of [
      'POST /_matrix/client/v3/keys/device_signing/upload',
      'POST /_matrix/client/v3/keys/signatures/upload',
      'GET /_matrix/client/v3/rooms/{roomId}/aliases',
      'GET /_matrix/client/v1/rooms/{roomId}/threads',
      'GET /_matrix/client/v1/media/config',
      'GET /_matrix/client/v1/media/download/{serverName}/{mediaId}',
      'POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync',
    ]) expect(served, route).toContain(route);
  });

  it('advertises the homeserver and the WebSocket channel in .well-known', async () => {
    const res = await client.get<Record<string, { base_url?: string; url?: string }>>('/.well-known/matrix/client');
    expect(res.status).toBe(200);
    expect(res.body['m.homeserver']?.base_url).toBe(runtime.httpUrl);
    expect(res.body['org.axon.websocket']?.url).toBe(runtime.wsUrl);
  });

  it('has no support contacts and no OAuth 2.0 metadata (legacy authentication only)', async () => {
    const support = await client.get('/.well-known/matrix/support');
    expect(support.status).toBe(404);
    expectError(await client.get('/_matrix/client/v1/auth_metadata'), 404, 'M_UNRECOGNIZED');
  });

  describe('features Axon does not offer, answered as Synapse without them', () => {
    it('has URL previews disabled', async () => {
      const url = encodeURIComponent('https://example.org');
      expectError(await client.get(`/_matrix/media/v3/preview_url?url=${url}`), 404, 'M_UNRECOGNIZED');
      expectError(await client.get(`/_matrix/client/v1/media/preview_url?url=${url}`), 404, 'M_UNRECOGNIZED');
    });
  });

  it('reports the depth followed when relations are asked to recurse (v1.10)', async () => {
    const user = await registerUser(client);
    const roomId = await createRoom(user.client);
    const parent = (await send(user.client, roomId, { msgtype: 'm.text', body: 'parent' })).body.event_id;
    await send(user.client, roomId, { msgtype: 'm.text', body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: parent } });
    const relations = (query: string) => user.client.get<{ chunk: unknown[]; recursion_depth?: number }>(`/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(parent)}${query}`);
    const recursing = await relations('?recurse=true');
    expect(recursing.status).toBe(200);
    expect(recursing.body.chunk).toHaveLength(1);
    expect(recursing.body.recursion_depth).toBe(1);
    expect((await relations('')).body.recursion_depth).toBeUndefined();
  });

  it('answers an unknown path with 404 M_UNRECOGNIZED and a wrong method with 405', async () => {
    expectError(await client.get('/_matrix/client/v3/no/such/thing', { unchecked: true }), 404, 'M_UNRECOGNIZED');
    expectError(await client.request('DELETE', '/_matrix/client/versions', undefined, { unchecked: true }), 405, 'M_UNRECOGNIZED');
  });

  // Synapse serves /_matrix/client/r0 and /_matrix/media/r0 as v3 (Debian's matrix-nio, synapse-admin's login)
  it('sends legacy r0 paths on to v3 with a 308 that keeps method, body and query', async () => {
    const versions = await client.get<{ versions: string[] }>('/_matrix/client/versions');
    expect(versions.body.versions).toEqual(expect.arrayContaining(['r0.0.1', 'r0.5.0', 'r0.6.1', 'v1.1']));
    const user = await registerUser(client);
    const localpart = user.userId.slice(1, user.userId.indexOf(':'));
    const redirect = await fetch(`${runtime.httpUrl}/_matrix/client/r0/login?x=1`, { method: 'POST', body: '{}', redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/_matrix/client/v3/login?x=1');
    // fetch follows it, as clients do
    const login = await fetch(`${runtime.httpUrl}/_matrix/client/r0/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'correct horse battery staple' }),
    });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const whoami = await fetch(`${runtime.httpUrl}/_matrix/client/r0/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(await whoami.json()).toMatchObject({ user_id: user.userId });
    // encoded path parameters stay encoded
    const alias = await fetch(`${runtime.httpUrl}/_matrix/client/r0/directory/room/${encodeURIComponent('#nowhere:localhost')}`, { redirect: 'manual' });
    expect(alias.headers.get('location')).toBe('/_matrix/client/v3/directory/room/%23nowhere:localhost');
    const profile = await fetch(`${runtime.httpUrl}/_matrix/client/r0/profile/${encodeURIComponent(user.userId)}`);
    expect(await profile.json()).toMatchObject({ displayname: localpart });
    expect((await fetch(`${runtime.httpUrl}/_matrix/media/r0/config`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // only what v3 serves: an r0 path v3 does not have is 404, a wrong method 405
    expectError(await client.get('/_matrix/client/r0/no/such/thing', { unchecked: true }), 404, 'M_UNRECOGNIZED');
    expectError(await client.request('DELETE', '/_matrix/client/r0/login', undefined, { unchecked: true }), 404, 'M_UNRECOGNIZED');
  });

  it('answers a CORS preflight without a function', async () => {
    const res = await fetch(`${runtime.httpUrl}/_matrix/client/v3/createRoom`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.element.io', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});
