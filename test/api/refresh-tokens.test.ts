// Refresh tokens (spec v1.3): `refresh_token: true` on /login and /register, POST /refresh, expiring
// access tokens answering 401 M_UNKNOWN_TOKEN with soft_logout, and the refresh token's life:
// valid until the refresh token it gave is used (a /refresh sent again before that gets a working
// pair), gone with its device. Complement: TestTxnIdWithRefreshToken (tests/csapi/txnid_test.go).
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { createClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as usersTopologyHandler } from '../../functions/streams/users.ts';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { listShards, readShard } from '../../lib/core/replay.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS } from '../../lib/matrix/accounts/refresh.ts';
import { hashAccessToken } from '../../lib/matrix/passwords.ts';
import { accessTokens, devices } from '../../lib/matrix/pstates.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk } from '../support/sdk.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';

interface Pair {
  access_token: string;
  refresh_token: string;
  expires_in_ms: number;
}

interface Session extends Pair {
  user_id: string;
  device_id: string;
}

/** Hands the users-depot records matching `match` to the users topology again; returns how many. */
async function redeliverToUsersTopology(match: (payload: Record<string, unknown>) => boolean): Promise<number> {
  const stream = depotStreamName('users');
  const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  const streamArn = StreamDescriptionSummary!.StreamARN!;
  let found = 0;
  for (const shard of await listShards(stream)) {
    for await (const batch of readShard(stream, shard.ShardId!, 1000)) {
      const records = batch.filter((r) => {
        const envelope = JSON.parse(Buffer.from(r.Data!).toString('utf8')) as { payload?: Record<string, unknown> };
        return envelope.payload !== undefined && match(envelope.payload);
      });
      if (records.length === 0) continue;
      found += records.length;
      const result = await usersTopologyHandler(kinesisEvent(records, { shardId: shard.ShardId!, streamArn }), invocationContext('usersTopology'));
      expect(result.batchItemFailures).toEqual([]);
    }
  }
  return found;
}

describe('refresh tokens', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  beforeAll(async () => {
    quietSdk();
    runtime = await startTestRuntime('refresh-tokens');
    anon = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  const whoami = (token: string) => anon.get<{ user_id: string; device_id: string; soft_logout?: boolean }>(`${v3}/account/whoami`, { token });
  const refresh = (refreshToken: unknown) => anon.post<Pair & Record<string, unknown>>(`${v3}/refresh`, { refresh_token: refreshToken });
  const login = async (user: RegisteredUser, extra: Record<string, unknown> = {}) => {
    const res = await anon.post<Session>(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD, refresh_token: true, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const mustRefresh = async (refreshToken: string) => {
    const res = await refresh(refreshToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('login with refresh_token: true gives a refresh token and an access token expiring in 5 minutes (Synapse default)', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    expect(typeof session.refresh_token).toBe('string');
    expect(session.refresh_token).not.toBe(session.access_token);
    expect(session.expires_in_ms).toBe(DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS);
    expect((await whoami(session.access_token)).body).toMatchObject({ user_id: user.userId, device_id: session.device_id });
    // Only the hash is stored, on the device.
    const device = await devices.key(user.userId).key(session.device_id).get({ consistent: true });
    expect(device?.refreshHash).toBe(hashAccessToken(session.refresh_token));
  });

  it('clients that do not ask get no refresh token and a token that never expires, as before', async () => {
    const user = await registerUser(anon);
    const res = await anon.post<Record<string, unknown>>(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.expires_in_ms).toBeUndefined();
    expect((await accessTokens.key(hashAccessToken(res.body.access_token as string)).get({ consistent: true }))?.expiresTs ?? 0).toBe(0);
  });

  it('the lifetime is AXON_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS', async () => {
    process.env.AXON_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS = '123456';
    try {
      const session = await login(await registerUser(anon));
      expect(session.expires_in_ms).toBe(123456);
      expect((await mustRefresh(session.refresh_token)).expires_in_ms).toBe(123456);
    } finally {
      delete process.env.AXON_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS;
    }
  });

  it('register with refresh_token: true gives a refresh token', async () => {
    const username = uniqueLocalpart('refreg');
    const first = await anon.post<{ session: string }>(`${v3}/register`, { username, password: PASSWORD });
    const done = await anon.post<Session>(`${v3}/register`, { username, password: PASSWORD, refresh_token: true, auth: { type: 'm.login.dummy', session: first.body.session } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(typeof done.body.refresh_token).toBe('string');
    expect(done.body.expires_in_ms).toBe(DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS);
    const next = await mustRefresh(done.body.refresh_token);
    expect((await whoami(next.access_token)).body).toMatchObject({ user_id: done.body.user_id, device_id: done.body.device_id });
  });

  it('POST /refresh gives a new pair for the same device; the old access token dies', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    const next = await mustRefresh(session.refresh_token);
    expect(next.access_token).not.toBe(session.access_token);
    expect(next.refresh_token).not.toBe(session.refresh_token);
    expect(next.expires_in_ms).toBe(DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS);
    expect((await whoami(next.access_token)).body).toMatchObject({ user_id: user.userId, device_id: session.device_id });
    expectError(await whoami(session.access_token), 401, 'M_UNKNOWN_TOKEN');
  });

  it('a refresh sent again (its answer lost) gets a working pair and the first answer dies; once the new refresh token is used, the old one is unknown', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    const lost = await mustRefresh(session.refresh_token);
    const again = await mustRefresh(session.refresh_token);
    expect((await whoami(again.access_token)).status).toBe(200);
    expectError(await whoami(lost.access_token), 401, 'M_UNKNOWN_TOKEN');
    expectError(await refresh(lost.refresh_token), 401, 'M_UNKNOWN_TOKEN');
    // The new refresh token used: the one before it is gone for good.
    const third = await mustRefresh(again.refresh_token);
    expect((await whoami(third.access_token)).status).toBe(200);
    expectError(await refresh(session.refresh_token), 401, 'M_UNKNOWN_TOKEN');
    // The one just used stays valid until its successor is used, the chain goes on.
    expect((await whoami(third.access_token)).status).toBe(200);
    const fourth = await mustRefresh(third.refresh_token);
    expectError(await refresh(again.refresh_token), 401, 'M_UNKNOWN_TOKEN');
    expect((await whoami(fourth.access_token)).status).toBe(200);
  });

  it('an expired access token answers 401 M_UNKNOWN_TOKEN with soft_logout, and refreshing works', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    await commit([accessTokens.key(hashAccessToken(session.access_token)).field('expiresTs').set(Date.now() - 1)]);
    const res = await whoami(session.access_token);
    expectError(res, 401, 'M_UNKNOWN_TOKEN');
    expect(res.body.soft_logout).toBe(true);
    const next = await mustRefresh(session.refresh_token);
    expect((await whoami(next.access_token)).status).toBe(200);
  });

  it('unknown, malformed or missing refresh tokens are refused with the spec codes', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    // Well-formed, naming a real device, but never issued.
    const forged = session.refresh_token.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(forged).not.toBe(session.refresh_token);
    expectError(await refresh(forged), 401, 'M_UNKNOWN_TOKEN');
    expectError(await refresh('syr_nonsense'), 401, 'M_UNKNOWN_TOKEN');
    expectError(await refresh(session.access_token), 401, 'M_UNKNOWN_TOKEN');
    expectError(await refresh('some_refresh_token'), 401, 'M_UNKNOWN_TOKEN');
    // Synapse's parameter checks.
    expectError(await anon.post(`${v3}/refresh`, {}), 400, 'M_MISSING_PARAM');
    expectError(await refresh(42), 400, 'M_INVALID_PARAM');
    expectError(await anon.post(`${v3}/refresh`, undefined, { rawBody: '{' }), 400, 'M_NOT_JSON');
    // The real one still works after all that.
    expect((await mustRefresh(session.refresh_token)).access_token).toBeTruthy();
  });

  it('logout, device deletion and a new login on the device end its refresh tokens', async () => {
    const user = await registerUser(anon);
    const a = await login(user);
    expect((await anon.post(`${v3}/logout`, {}, { token: a.access_token })).status).toBe(200);
    expectError(await refresh(a.refresh_token), 401, 'M_UNKNOWN_TOKEN');

    const b = await login(user);
    const bNext = await mustRefresh(b.refresh_token);
    const deleted = await user.client.post(`${v3}/delete_devices`, {
      devices: [b.device_id],
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD },
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expectError(await refresh(b.refresh_token), 401, 'M_UNKNOWN_TOKEN');
    expectError(await refresh(bNext.refresh_token), 401, 'M_UNKNOWN_TOKEN');

    const c = await login(user);
    const relogin = await login(user, { device_id: c.device_id, refresh_token: false });
    expectError(await refresh(c.refresh_token), 401, 'M_UNKNOWN_TOKEN');
    expect((await whoami(relogin.access_token)).status).toBe(200);
  });

  it('a redelivered refresh changes nothing twice', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    const next = await mustRefresh(session.refresh_token);
    const newHash = hashAccessToken(next.refresh_token);
    const before = await devices.key(user.userId).key(session.device_id).get({ consistent: true });
    expect(await redeliverToUsersTopology((p) => p.kind === 'account.refresh' && p.newRefreshHash === newHash)).toBe(1);
    expect(await devices.key(user.userId).key(session.device_id).get({ consistent: true })).toEqual(before);
    expect((await whoami(next.access_token)).status).toBe(200);
    expect((await whoami(session.access_token)).status).toBe(401);
    expect((await mustRefresh(next.refresh_token)).access_token).toBeTruthy();
  });

  it('a redelivered login (with its refresh token) changes nothing twice and stops nothing', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    const hash = hashAccessToken(session.access_token);
    const before = await devices.key(user.userId).key(session.device_id).get({ consistent: true });
    expect(await redeliverToUsersTopology((p) => p.kind === 'account.login' && (p.session as { tokenHash?: string } | undefined)?.tokenHash === hash)).toBe(1);
    expect(await devices.key(user.userId).key(session.device_id).get({ consistent: true })).toEqual(before);
    expect((await whoami(session.access_token)).status).toBe(200);
    expect((await mustRefresh(session.refresh_token)).access_token).toBeTruthy();
  });

  // Complement TestTxnIdWithRefreshToken: a refreshed access token is the same device, so the
  // transaction id of an event sent before still comes back in /sync and still deduplicates.
  it('transaction ids survive a refresh (Complement TestTxnIdWithRefreshToken)', async () => {
    const user = await registerUser(anon);
    const session = await login(user);
    const client = anon.withToken(session.access_token);
    const room = await client.post<{ room_id: string }>(`${v3}/createRoom`, {});
    expect(room.status).toBe(200);
    const roomId = room.body.room_id;
    const path = `${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/abcdef`;
    const first = await client.put<{ event_id: string }>(path, { msgtype: 'm.text', body: 'first' });
    expect(first.status).toBe(200);
    const next = await mustRefresh(session.refresh_token);
    const refreshed = anon.withToken(next.access_token);
    const sync = await refreshed.get<{ rooms: { join: Record<string, { timeline: { events: { event_id: string; unsigned?: { transaction_id?: string } }[] } }> } }>(`${v3}/sync`);
    expect(sync.status).toBe(200);
    const event = sync.body.rooms.join[roomId]!.timeline.events.find((e) => e.event_id === first.body.event_id);
    expect(event?.unsigned?.transaction_id).toBe('abcdef');
    const second = await refreshed.put<{ event_id: string }>(path, { msgtype: 'm.text', body: 'first' });
    expect(second.body.event_id).toBe(first.body.event_id);
  });

  it('matrix-js-sdk logs in with refresh_token and refreshes with client.refreshToken', async () => {
    const user = await registerUser(anon);
    const sdk = createClient({ baseUrl: runtime.httpUrl });
    const session = await sdk.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD, refresh_token: true });
    expect(session.refresh_token).toBeTruthy();
    expect(session.expires_in_ms).toBe(DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS);
    const authed = createClient({ baseUrl: runtime.httpUrl, accessToken: session.access_token, userId: session.user_id, deviceId: session.device_id });
    const next = await authed.refreshToken(session.refresh_token!);
    expect(next.refresh_token).toBeTruthy();
    authed.setAccessToken(next.access_token);
    expect((await authed.whoami()).device_id).toBe(session.device_id);
    authed.stopClient();
    sdk.stopClient();
  });
});
