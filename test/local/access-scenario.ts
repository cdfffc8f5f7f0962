// A scenario that goes through Axon's real paths (the HTTP API, the WebSocket API, and through
// them every topology) so that each access a function declares is used by some request: what
// test/local/grants-used*.test.ts runs while recording the requests the local IAM check allowed.
// Each step is one area; they share users and rooms, in order.
import { expect } from 'vitest';
import type { AuthorizationRequest } from '../../lib/local/iam/policy.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { recordConnection, userConnections } from '../../lib/matrix/push/connections.ts';
import { accessTokens, syncWake } from '../../lib/matrix/pstates.ts';
import type { AccessRecorder } from '../support/access-use.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, type MatrixResponse } from '../support/matrix-client.ts';
import { open, eventually, type Socket } from '../support/websocket.ts';
import { deviceKeysFor, signed, signingKey, uploadCrossSigning } from '../api/keys-support.ts';
import { createRoom, path, send } from '../api/rooms-support.ts';
import { slidingSync } from '../api/sliding-sync-support.ts';
import { until } from '../support/poll.ts';

const v1 = '/_matrix/client/v1';
const v3 = path.v3;
const enc = encodeURIComponent;
const PASSWORD = 'correct horse battery staple';
const auth = (user: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: PASSWORD });

/** The status of a request that should succeed, with its body when it did not. */
let last = Date.now();
function ok(res: MatrixResponse<unknown>, what: string): void {
  if (process.env.GRANTS_TIMING) console.log(`TIMING ${what} ${Date.now() - last}`);
  last = Date.now();
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
}

export interface ScenarioStep {
  name: string;
  run(): Promise<void>;
}

interface Context {
  anonymous: TestClient;
  alice: RegisteredUser;
  bob: RegisteredUser;
  charlie: RegisteredUser;
  admin: RegisteredUser;
  /** A room of alice's alone, made at the start. */
  aliceRoom: string;
  /** Alice's public room with an alias, bob and charlie joined. */
  roomId: string;
  alias: string;
  /** An event of alice's in roomId, and a thread under it. */
  eventId: string;
  fresh(): Promise<RegisteredUser>;
  wsUrl: string;
  httpUrl: string;
  /** Sockets of alice and bob open through the whole scenario: topologies push to them. */
  sockets: Socket[];
}

/**
 * A record of a connection the gateway no longer has (its $disconnect lost, as API Gateway may):
 * a copy of one of the user's live connections under an id the gateway answers 410 for, older
 * than the handshake window, so the next push to the user finds it gone and forgets it.
 */
async function leaveGoneConnection(userId: string): Promise<void> {
  const [live] = await userConnections(userId);
  if (!live) throw new Error(`${userId} has no open connection to copy`);
  await recordConnection({ ...live, connectionId: `gone${Math.random().toString(36).slice(2)}=`, connectedAt: Date.now() - 3_600_000 });
}

/** A pusher's fields (`tag` keeps pushkeys apart). */
const pusher = (tag: string) => ({
  kind: 'http',
  app_id: 'org.example.grants',
  pushkey: `grants-${tag}-${Math.random().toString(36).slice(2)}`,
  app_display_name: 'A',
  device_display_name: 'D',
  lang: 'en',
  data: { url: 'https://push.example.org/_matrix/push/v1/notify' },
});

const readsConnectionsOf = (userId: string) => (r: AuthorizationRequest) =>
  r.action === 'dynamodb:Query' && (r.context?.['dynamodb:LeadingKeys'] ?? []).includes(`connections#${userId}`);

/** The next request of `fn` reading `userId`'s connections crashes (as a topology might right after its commit). */
const crashBeforeConnectionsOf = (recorder: AccessRecorder, fn: string, userId: string) => recorder.crashBefore(fn, readsConnectionsOf(userId));

/**
 * A revoking request's own drop of the connections, proven: the topology that applied the
 * revocation crashes before it reads the user's connections, and its retry waits until the request
 * has answered (it drops them before it answers). Without the wait the retry may drop them first,
 * and the request's grants go unused in that run.
 */
async function revokedByTheRequest(recorder: AccessRecorder, userId: string, request: () => Promise<unknown>): Promise<void> {
  // The users topology runs as its own function, or inside the users depot's dispatcher (standard consumers).
  const retries = USERS_TOPOLOGY_FUNCTIONS.map((fn) => {
    crashBeforeConnectionsOf(recorder, fn, userId);
    return recorder.pauseBefore(fn, readsConnectionsOf(userId));
  });
  try {
    await request();
  } finally {
    for (const retry of retries) retry.release();
  }
}

const USERS_TOPOLOGY_FUNCTIONS = ['usersTopology', 'usersDepotTopology'];

/** The steps against a started runtime. */
/**
 * The scenario: a setup, then lanes of steps run side by side (each lane's steps in order), then
 * a finish. Steps of different lanes touch different users' data or only read what the setup made.
 */
export interface Scenario {
  setup: ScenarioStep;
  lanes: ScenarioStep[][];
  finish: ScenarioStep;
  /** /sync in every way a client asks (filtered, incremental, woken, set_presence), after the steps that make its news: served by the sync function or the sync service. */
  syncInEveryWay: ScenarioStep;
  /** A connection opened with `since` while a message lands in one of its rooms, after the lanes. */
  connectRacingACommit: ScenarioStep;
}

export function accessScenario(runtime: () => LocalRuntime, recorder: AccessRecorder): Scenario {
  const ctx = {} as Context;
  const step = (name: string, run: (ctx: Context) => Promise<void>): ScenarioStep => ({ name, run: () => run(ctx) });
  const socketOf = (user: RegisteredUser) => open(ctx.wsUrl, { access_token: user.accessToken });
  return {
    setup: step('users, their connections and long-polls', async (c) => {
      c.httpUrl = runtime().httpUrl;
      c.wsUrl = runtime().wsUrl;
      c.anonymous = new TestClient(c.httpUrl);
      // The scenario tests grants, not speed: on a loaded machine a topology may apply a command
      // after the route's ~20 s wait, and a client then retries as the 503 tells it to.
      c.anonymous.notAppliedRetries = 3;
      c.fresh = () => registerUser(c.anonymous);
      [c.alice, c.bob, c.charlie, c.admin] = await Promise.all([c.fresh(), c.fresh(), c.fresh(), c.fresh()]);
      await submitAccountCommand('account.setAdmin', c.admin.userId, { admin: true });
      c.aliceRoom = await createRoom(c.alice.client, {});
      // Alice and bob stay connected, and long-poll once (a registration that lasts minutes), so
      // the topologies push to their connections and wake their polls.
      c.sockets = await Promise.all([socketOf(c.alice), socketOf(c.bob)]);
      for (const u of [c.alice, c.bob, c.charlie]) {
        const first = await u.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`);
        ok(first, 'initial sync');
        ok(await u.client.get(`${v3}/sync?timeout=10&since=${enc(first.body.next_batch)}`), 'long-poll');
      }
    }),
    lanes: [
      [
        step('accounts: availability, login, and revocations that close connections', async (c) => {
          ok(await c.anonymous.get(`${v3}/register/available?username=nobody_${Date.now()}`), 'available');
          ok(await c.anonymous.get(`${v1}/register/m.login.registration_token/validity?token=none`), 'token validity');
          ok(await c.anonymous.get(`${v3}/login`), 'login flows');
          ok(await c.anonymous.post(`${v3}/login`, auth(c.alice.userId)), 'login');
          ok(await c.alice.client.get(`${v3}/account/whoami`), 'whoami');
          // A password change, a logout and a deactivation each close the user's open sockets.
          const revocations: Promise<void>[] = [];
          for (const [what, act] of [
            ['password', async (u: RegisteredUser) => u.client.post(`${v3}/account/password`, { new_password: `${PASSWORD}!`, logout_devices: true, auth: auth(u.userId) })],
            ['logout', (u: RegisteredUser) => u.client.post(`${v3}/logout`, {})],
            ['logout all', (u: RegisteredUser) => u.client.post(`${v3}/logout/all`, {})],
            ['deactivate', (u: RegisteredUser) => u.client.post(`${v3}/account/deactivate`, { auth: auth(u.userId) })],
            // A login reusing the device id revokes the device's old token: the users topology alone drops its connections.
            ['login with the same device', (u: RegisteredUser) => c.anonymous.withToken().post(`${v3}/login`, { ...auth(u.userId), device_id: u.deviceId })],
          ] as const) revocations.push((async () => {
            const u = await c.fresh();
            // A password change keeps the requesting device: the socket is another device's.
            const socket = what === 'password' ? await socketOf(await loginUser(c.anonymous, u.userId)) : await socketOf(u);
            // The users topology crashes after its commit, before it drops the revoked connections:
            // the operation drops them itself before it answers.
            if (what !== 'login with the same device') await revokedByTheRequest(recorder, u.userId, async () => ok(await act(u), what));
            else ok(await act(u), what);
            await eventually(async () => socket.closed);
          })());
          await Promise.all(revocations);
        }),
        step('devices', async (c) => {
          const u = await c.fresh();
          ok(await u.client.get(`${v3}/devices`), 'devices');
          ok(await u.client.get(`${v3}/devices/${enc(u.deviceId)}`), 'device');
          ok(await u.client.put(`${v3}/devices/${enc(u.deviceId)}`, { display_name: 'phone' }), 'rename device');
          // A wrong password counts a failed attempt.
          expect((await u.client.delete(`${v3}/devices/${enc(u.deviceId)}`, { auth: { ...auth(u.userId), password: 'wrong' } })).status).toBe(401);
          const second = await loginUser(c.anonymous, u.userId);
          // The device's pusher goes with it (the users topology).
          ok(await second.client.post(`${v3}/pushers/set`, pusher('device')), 'device pusher');
          // More one-time keys than one transaction removes: the keys topology continues in a record of its own.
          for (const batch of [0, 1]) {
            const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`signed_curve25519:K${batch}_${i}`, { key: `k${i}` }]));
            ok(await second.client.post(`${v3}/keys/upload`, { one_time_keys: many }), 'many one-time keys');
          }
          const socket = await socketOf(second);
          await revokedByTheRequest(recorder, u.userId, async () => ok(await u.client.delete(`${v3}/devices/${enc(second.deviceId)}`, { auth: auth(u.userId) }), 'delete device'));
          await eventually(async () => socket.closed);
          const third = await loginUser(c.anonymous, u.userId);
          const socket3 = await socketOf(third);
          await revokedByTheRequest(recorder, u.userId, async () => ok(await u.client.post(`${v3}/delete_devices`, { devices: [third.deviceId], auth: auth(u.userId) }), 'delete devices'));
          await eventually(async () => socket3.closed);
        }),
        step('media', async (c) => {
          const media = '/_matrix/media';
          const up = await fetch(`${c.httpUrl}${media}/v3/upload?filename=a.txt`, { method: 'POST', headers: { authorization: `Bearer ${c.alice.accessToken}`, 'content-type': 'text/plain' }, body: 'grants' });
          expect(up.status).toBe(200);
          const mxc = ((await up.json()) as { content_uri: string }).content_uri.replace('mxc://', '');
          const created = await c.alice.client.post<{ content_uri: string }>(`${media}/v1/create`, {});
          const later = created.body.content_uri.replace('mxc://', '');
          const put = await fetch(`${c.httpUrl}${media}/v3/upload/${later}`, { method: 'PUT', headers: { authorization: `Bearer ${c.alice.accessToken}`, 'content-type': 'text/plain' }, body: 'later' });
          expect(put.status).toBe(200);
          for (const p of [`${v1}/media/download/${mxc}`, `${v1}/media/download/${mxc}/a.txt`, `${v1}/media/thumbnail/${mxc}?width=32&height=32`, `${v1}/media/config`]) {
            const res = await fetch(`${c.httpUrl}${p}`, { headers: { authorization: `Bearer ${c.bob.accessToken}` } });
            await res.arrayBuffer();
          }
        }),
      ],
      [
        step('rooms: creation, membership, events, upgrade', async (c) => {
          c.alias = `#grants${Date.now()}:localhost`;
          c.roomId = await createRoom(c.alice.client, { preset: 'public_chat', room_alias_name: c.alias.slice(1).split(':')[0], visibility: 'public', name: 'Grants' });
          ok(await c.bob.client.post(`${v3}/join/${enc(c.alias)}`, {}), 'join by alias');
          ok(await c.alice.client.post(path.room(c.roomId, 'invite'), { user_id: c.charlie.userId }), 'invite');
          ok(await c.charlie.client.post(path.room(c.roomId, 'join'), {}), 'join');
          ok(await c.alice.client.post(path.room(c.roomId, 'kick'), { user_id: c.charlie.userId }), 'kick');
          ok(await c.alice.client.post(path.room(c.roomId, 'ban'), { user_id: c.charlie.userId }), 'ban');
          ok(await c.alice.client.post(path.room(c.roomId, 'unban'), { user_id: c.charlie.userId }), 'unban');
          ok(await c.charlie.client.post(`${v3}/join/${enc(c.roomId)}`, {}), 'join again');
          const knockRoom = await createRoom(c.bob.client, { room_version: '11', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
          ok(await c.alice.client.post(`${v3}/knock/${enc(knockRoom)}`, { reason: 'let me in' }), 'knock');
          const left = await createRoom(c.alice.client, {});
          ok(await c.alice.client.post(path.room(left, 'leave'), {}), 'leave');
          ok(await c.alice.client.post(path.room(left, 'forget'), {}), 'forget');
          await leaveGoneConnection(c.bob.userId);
          const sent = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'hello grants' });
          ok(sent, 'send');
          c.eventId = sent.body.event_id;
          // A member event set through /state: its target's profile fills it.
          ok(await c.alice.client.put(path.room(c.roomId, `state/m.room.member/${enc(c.admin.userId)}`), { membership: 'invite' }), 'member state');
          ok(await c.alice.client.put(path.room(c.roomId, 'state/m.room.topic'), { topic: 'grants' }), 'state without key');
          ok(await send(c.bob.client, c.roomId, { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: c.eventId } }), 'thread reply');
          const edited = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: '* hello', 'm.new_content': { msgtype: 'm.text', body: 'hello' }, 'm.relates_to': { rel_type: 'm.replace', event_id: c.eventId } });
          ok(edited, 'edit');
          const doomed = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'redact me' });
          ok(await c.alice.client.put(path.room(c.roomId, `redact/${enc(doomed.body.event_id)}/r1`), { reason: 'oops' }), 'redact');
          const upgradable = await createRoom(c.alice.client, { preset: 'private_chat' });
          ok(await c.alice.client.post(path.room(upgradable, 'upgrade'), { new_version: '11' }), 'upgrade');
        }),
        step('profile (alice in rooms: her member events follow)', async (c) => {
          ok(await c.alice.client.put(`${v3}/profile/${enc(c.alice.userId)}/displayname`, { displayname: 'Alice' }), 'displayname');
          ok(await c.alice.client.put(`${v3}/profile/${enc(c.alice.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/avatar' }), 'avatar');
          ok(await c.alice.client.delete(`${v3}/profile/${enc(c.alice.userId)}/avatar_url`), 'delete avatar');
          ok(await c.bob.client.get(`${v3}/profile/${enc(c.alice.userId)}`), 'profile');
          ok(await c.bob.client.get(`${v3}/profile/${enc(c.alice.userId)}/displayname`), 'profile field');
        }),
        step('room reads, messages, relations, search, navigation', async (c) => {
          const r = (rest: string) => path.room(c.roomId, rest);
          for (const p of [
            `${v3}/joined_rooms`,
            r('members'),
            r('joined_members'),
            r('state'),
            r('state/m.room.topic/'),
            r('state/m.room.topic'),
            r(`event/${enc(c.eventId)}`),
            r(`context/${enc(c.eventId)}`),
            r('messages?dir=b&limit=10'),
            `${v1}/rooms/${enc(c.roomId)}/relations/${enc(c.eventId)}`,
            `${v1}/rooms/${enc(c.roomId)}/relations/${enc(c.eventId)}/m.thread`,
            `${v1}/rooms/${enc(c.roomId)}/relations/${enc(c.eventId)}/m.thread/m.room.message`,
            `${v1}/rooms/${enc(c.roomId)}/threads`,
            `${v1}/rooms/${enc(c.roomId)}/timestamp_to_event?ts=${Date.now()}&dir=b`,
            `${v1}/room_summary/${enc(c.alias)}`,
            `${v1}/rooms/${enc(c.roomId)}/hierarchy`,
          ]) {
            ok(await c.bob.client.get(p), p);
          }
          // Members as they were at an older page: alice's member event changed since (her profile).
          const lazy = `filter=${enc(JSON.stringify({ lazy_load_members: true }))}`;
          const newest = await c.bob.client.get<{ end: string }>(r(`messages?dir=b&limit=6&${lazy}`));
          ok(newest, 'messages, lazy members');
          ok(await c.bob.client.get(r(`messages?dir=b&limit=20&from=${enc(newest.body.end)}&${lazy}`)), 'older messages, lazy members');
          // With the senders' profiles as they were: alice's member event changed since.
          const searchContext = { before_limit: 2, after_limit: 2, include_profile: true };
          ok(await c.bob.client.post(`${v3}/search`, { search_categories: { room_events: { search_term: 'hello', event_context: searchContext } } }), 'search');
        }),
        step('directory and public rooms', async (c) => {
          const alias = `#other${Date.now()}:localhost`;
          ok(await c.alice.client.put(`${v3}/directory/room/${enc(alias)}`, { room_id: c.roomId }), 'put alias');
          ok(await c.bob.client.get(`${v3}/directory/room/${enc(alias)}`), 'get alias');
          ok(await c.bob.client.get(path.room(c.roomId, 'aliases')), 'aliases');
          ok(await c.alice.client.delete(`${v3}/directory/room/${enc(alias)}`), 'delete alias');
          ok(await c.bob.client.get(`${v3}/directory/list/room/${enc(c.roomId)}`), 'visibility');
          ok(await c.alice.client.put(`${v3}/directory/list/room/${enc(c.roomId)}`, { visibility: 'public' }), 'set visibility');
          ok(await c.bob.client.get(`${v3}/publicRooms`), 'public rooms');
          ok(await c.bob.client.post(`${v3}/publicRooms`, { filter: { generic_search_term: 'Grants' } }), 'public rooms search');
          ok(await c.bob.client.get(`${v3}/capabilities`), 'capabilities');
        }),
        step('ephemeral: typing, presence, receipts, read markers (HTTP and WebSocket)', async (c) => {
          await leaveGoneConnection(c.bob.userId);
          ok(await c.alice.client.put(path.room(c.roomId, `typing/${enc(c.alice.userId)}`), { typing: true, timeout: 30_000 }), 'typing');
          ok(await c.alice.client.put(`${v3}/presence/${enc(c.alice.userId)}/status`, { presence: 'online', status_msg: 'here' }), 'presence');
          ok(await c.bob.client.get(`${v3}/presence/${enc(c.alice.userId)}/status`), 'get presence');
          ok(await c.bob.client.post(path.room(c.roomId, `receipt/m.read/${enc(c.eventId)}`), {}), 'receipt');
          ok(await c.bob.client.post(path.room(c.roomId, 'read_markers'), { 'm.fully_read': c.eventId, 'm.read': c.eventId }), 'read markers');
          // A connection opened with a filter and a since token.
          const filter = await c.bob.client.post<{ filter_id: string }>(`${v3}/user/${enc(c.bob.userId)}/filter`, { room: { timeline: { limit: 5 } } });
          const since = (await c.bob.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`)).body.next_batch;
          // Something happened since: the connection catches up from there.
          ok(await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'while bob was away' }), 'send while away');
          const socket = await open(c.wsUrl, { access_token: c.bob.accessToken, filter: filter.body.filter_id, since });
          // As if the connection had been open for six minutes: its online registration is renewed.
          await commit([syncWake.key(c.bob.userId).field('onlineUntil').set(Date.now() + 60_000)]);
          socket.send({ action: 'ping', since });
          await socket.next((f) => f.type === 'pong');
          socket.send({ action: 'typing', room_id: c.roomId, typing: true, timeout: 30_000 });
          socket.send({ action: 'presence', presence: 'unavailable', status_msg: 'away' });
          socket.send({ action: 'dance' });
          await socket.next((f) => f.type === 'error');
          await socket.close();
          // A connection whose token is gone without a sweep (the revoking request crashed after its
          // commit): its next message closes it.
          const other = await loginUser(c.anonymous, c.bob.userId);
          const doomed = await socketOf(other);
          const record = (await userConnections(c.bob.userId)).find((x) => x.deviceId === other.deviceId)!;
          await commit([accessTokens.key(record.tokenHash).remove()]);
          doomed.send({ action: 'ping' });
          await eventually(async () => doomed.closed);
          await runtime().mappings.idle();
        }),
        step('user directory, notifications, pushers, reports, 3pids, voip, openid', async (c) => {
          ok(await c.alice.client.post(`${v3}/user_directory/search`, { search_term: c.bob.userId.slice(1, 6) }), 'user directory');
          // The spec's schema of this answer does not resolve (a reference into the application service API).
          ok(await c.alice.client.get(`${v3}/thirdparty/protocols`, { unchecked: true }), 'protocols');
          ok(await c.alice.client.post(`${v3}/pushers/set`, pusher('alice')), 'pusher');
          ok(await c.alice.client.get(`${v3}/pushers`), 'pushers');
          ok(await send(c.bob.client, c.roomId, { msgtype: 'm.text', body: 'grants for alice' }), 'notified send');
          ok(await c.alice.client.get(`${v3}/notifications`), 'notifications');
          ok(await c.bob.client.post(path.room(c.roomId, `report/${enc(c.eventId)}`), { reason: 'r' }), 'report event');
          ok(await c.bob.client.post(path.room(c.roomId, 'report'), { reason: 'r' }), 'report room');
          ok(await c.bob.client.post(`${v3}/users/${enc(c.alice.userId)}/report`, { reason: 'r' }), 'report user');
          ok(await c.alice.client.get(`${v3}/account/3pid`), '3pids');
          await c.alice.client.post(`${v3}/account/3pid/delete`, { medium: 'email', address: 'a@example.org' });
          await c.alice.client.post(`${v3}/account/3pid/email/requestToken`, { client_secret: 'secret', email: 'a@example.org', send_attempt: 1 });
          // No TURN server: Synapse's empty object, which the spec's schema does not describe.
          ok(await c.alice.client.get(`${v3}/voip/turnServer`, { unchecked: true }), 'turn');
          ok(await c.alice.client.post(`${v3}/user/${enc(c.alice.userId)}/openid/request_token`, {}), 'openid');
          ok(await c.admin.client.get(`${v3}/admin/whois/${enc(c.alice.userId)}`), 'whois');
        }),
        step('keys and to-device', async (c) => {
          const key = signingKey();
          ok(await c.alice.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(c.alice, key), one_time_keys: { 'signed_curve25519:AAA': signed({ key: 'otk' }, c.alice.userId, `ed25519:${c.alice.deviceId}`, key) }, fallback_keys: { 'signed_curve25519:FB': signed({ key: 'fb', fallback: true }, c.alice.userId, `ed25519:${c.alice.deviceId}`, key) } }), 'keys upload');
          ok(await c.bob.client.post(`${v3}/keys/query`, { device_keys: { [c.alice.userId]: [] } }), 'keys query');
          ok(await c.bob.client.post(`${v3}/keys/claim`, { one_time_keys: { [c.alice.userId]: { [c.alice.deviceId]: 'signed_curve25519' } } }), 'keys claim');
          const cross = await uploadCrossSigning(c.alice);
          const device = deviceKeysFor(c.alice, key);
          const signedDevice = signed(device, c.alice.userId, `ed25519:${cross.selfSigning.publicKey}`, cross.selfSigning);
          ok(await c.alice.client.post(`${v3}/keys/signatures/upload`, { [c.alice.userId]: { [c.alice.deviceId]: signedDevice } }), 'signatures upload');
          // Bob verifies alice: his user-signing key signs her master key.
          const bobs = await uploadCrossSigning(c.bob);
          const master = signed(cross.masterKey, c.bob.userId, `ed25519:${bobs.userSigning.publicKey}`, bobs.userSigning);
          ok(await c.bob.client.post(`${v3}/keys/signatures/upload`, { [c.alice.userId]: { [cross.master.publicKey]: master } }), 'sign another user');
          const since = (await c.bob.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`)).body.next_batch;
          // Bob's member events change (join to join: not a new join), alice changes her keys.
          ok(await c.bob.client.put(`${v3}/profile/${enc(c.bob.userId)}/displayname`, { displayname: 'Bob' }), 'bob renamed');
          ok(await c.alice.client.post(`${v3}/keys/upload`, { one_time_keys: { 'signed_curve25519:AAB': signed({ key: 'otk2' }, c.alice.userId, `ed25519:${c.alice.deviceId}`, key) } }), 'more keys');
          // The rename reaches bob's member event in the room after its answer (through the rooms
          // depot): only a `to` past it makes /keys/changes look at his rooms' changes.
          await until(
            async () => (await c.bob.client.get<{ displayname?: string }>(path.room(c.roomId, `state/m.room.member/${enc(c.bob.userId)}`))).body.displayname,
            (name) => name === 'Bob',
            "bob's member event renamed",
          );
          const to = (await c.bob.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`)).body.next_batch;
          ok(await c.bob.client.get(`${v3}/keys/changes?from=${enc(since)}&to=${enc(to)}`), 'key changes');
          await leaveGoneConnection(c.bob.userId);
          const socket = await socketOf(c.bob);
          ok(await c.alice.client.put(`${v3}/sendToDevice/m.room_key/grants-${Date.now()}`, { messages: { [c.bob.userId]: { [c.bob.deviceId]: { k: 1 } } } }), 'to-device');
          await socket.next((f) => f.type !== 'error', 0).catch(() => undefined);
          await socket.close();
        }),
        step('Synapse admin API', async (c) => {
          const admin = (method: string, p: string, body?: unknown) => c.admin.client.request(method, `/_synapse/admin${p}`, body, { unchecked: true });
          for (const p of ['/v2/users', `/v2/users/${enc(c.alice.userId)}`, `/v2/users/${enc(c.alice.userId)}/devices`, `/v1/whois/${enc(c.alice.userId)}`, `/v1/users/${enc(c.alice.userId)}/joined_rooms`, `/v1/users/${enc(c.alice.userId)}/pushers`, '/v1/rooms', `/v1/rooms/${enc(c.roomId)}`, `/v1/rooms/${enc(c.roomId)}/members`, '/v1/registration_tokens', '/v1/event_reports']) {
            expect((await admin('GET', p)).status, p).toBeLessThan(300);
          }
          expect((await admin('POST', '/v1/registration_tokens/new', { token: `grants${Date.now()}` })).status).toBeLessThan(300);
          expect((await admin('PUT', `/v2/users/${enc(`@made${Date.now()}:localhost`)}`, { password: PASSWORD })).status).toBeLessThan(300);
          // A user's media, listed.
          const upload = await fetch(`${c.httpUrl}/_matrix/media/v3/upload?filename=b.txt`, { method: 'POST', headers: { authorization: `Bearer ${c.charlie.accessToken}`, 'content-type': 'text/plain' }, body: 'admin' });
          expect(upload.status).toBe(200);
          expect((await admin('GET', `/v1/users/${enc(c.charlie.userId)}/media`)).status).toBe(200);
          // The media quarantined, then deleted (the users topology, in the uploader's order).
          const mediaPath = ((await upload.json()) as { content_uri: string }).content_uri.slice('mxc://'.length);
          ok(await admin('POST', `/v1/media/quarantine/${mediaPath}`, {}), 'quarantine media');
          const deleted = await admin('DELETE', `/v1/media/${mediaPath}`, {});
          expect(deleted.body, 'delete media').toEqual({ deleted_media: [mediaPath.split('/')[1]], total: 1 });
          // A room deleted (its member leaves, blocked and purged), another blocked and unblocked.
          const doomed = await createRoom(c.alice.client, { preset: 'public_chat' });
          const deletion = await admin('DELETE', `/v2/rooms/${enc(doomed)}`, { block: true, purge: true });
          expect(deletion.status, JSON.stringify(deletion.body)).toBe(200);
          const deleteId = (deletion.body as { delete_id: string }).delete_id;
          await until(async () => (await admin('GET', `/v2/rooms/delete_status/${enc(deleteId)}`)).body as { status?: string }, (t) => t.status === 'complete', 'the room deleted');
          expect((await admin('GET', `/v2/rooms/${enc(doomed)}/delete_status`)).status).toBe(200);
          const blocked = await createRoom(c.alice.client, {});
          for (const block of [true, false]) expect((await admin('PUT', `/v1/rooms/${enc(blocked)}/block`, { block })).status).toBe(200);
          expect((await admin('GET', `/v1/rooms/${enc(blocked)}/block`)).status).toBe(200);
        }),
        step('sliding sync: lists, a subscription, extensions, a woken long-poll', async (c) => {
          const extensions = { account_data: { enabled: true }, typing: { enabled: true }, receipts: { enabled: true }, to_device: { enabled: true }, e2ee: { enabled: true } };
          const body = {
            lists: { all: { ranges: [[0, 9]], timeline_limit: 5, required_state: [['*', '*']] } },
            room_subscriptions: { [c.roomId]: { timeline_limit: 5, required_state: [['m.room.member', '$LAZY']] } },
            extensions,
          };
          // Someone never online before, so the long-poll registers them online in their rooms.
          const dave = await c.fresh();
          ok(await dave.client.post(`${v3}/join/${enc(c.roomId)}`, {}), 'dave joins');
          // A thread among the newest events: its bundle says whether dave took part.
          const root = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'a thread' });
          ok(await send(c.bob.client, c.roomId, { msgtype: 'm.text', body: 'in it', 'm.relates_to': { rel_type: 'm.thread', event_id: root.body.event_id } }), 'thread reply');
          const first = await slidingSync(dave.client, body);
          ok(await c.alice.client.put(`${v3}/sendToDevice/m.room_key/sliding-${Date.now()}`, { messages: { [dave.userId]: { [dave.deviceId]: { k: 3 } } } }), 'to-device');
          ok(await dave.client.put(`${v3}/user/${enc(dave.userId)}/account_data/org.example.sliding`, { a: 1 }), 'account data');
          const second = await slidingSync(dave.client, body, { pos: first.pos, timeout: 0 });
          const [woken] = await Promise.all([
            slidingSync(dave.client, body, { pos: second.pos, timeout: 20_000, set_presence: 'unavailable' }),
            new Promise((r) => setTimeout(r, 300)).then(() => send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'slide' })),
          ]);
          // The next request acknowledges the to-device messages.
          await slidingSync(dave.client, body, { pos: woken.pos, timeout: 0 });
          // A room of a user of sliding sync: the rooms topology writes their activity index entry.
          await createRoom(dave.client, {});
        }),
      ],
      [
        step('account data, filters, push rules', async (c) => {
          const user = (rest: string) => `${v3}/user/${enc(c.alice.userId)}/${rest}`;
          // The user data topology forgets a gone connection it pushes to: a fresh user's, whom no
          // other topology pushes to (alice's would race the other lanes' pushes to her).
          const loner = await c.fresh();
          const lonerSocket = await socketOf(loner);
          await leaveGoneConnection(loner.userId);
          ok(await loner.client.put(`${v3}/user/${enc(loner.userId)}/account_data/org.example.a`, { a: 1 }), 'account data of a user with a gone connection');
          await eventually(async () => (await userConnections(loner.userId)).length === 1);
          await lonerSocket.close();
          ok(await c.alice.client.put(user('account_data/org.example.a'), { a: 1 }), 'account data');
          ok(await c.alice.client.get(user('account_data/org.example.a')), 'get account data');
          ok(await c.alice.client.put(user(`rooms/${enc(c.aliceRoom)}/account_data/org.example.a`), { a: 1 }), 'room account data');
          ok(await c.alice.client.get(user(`rooms/${enc(c.aliceRoom)}/account_data/org.example.a`)), 'get room account data');
          ok(await c.alice.client.put(user(`rooms/${enc(c.aliceRoom)}/tags/u.work`), { order: 0.5 }), 'tag');
          ok(await c.alice.client.get(user(`rooms/${enc(c.aliceRoom)}/tags`)), 'tags');
          ok(await c.alice.client.delete(user(`rooms/${enc(c.aliceRoom)}/tags/u.work`)), 'untag');
          const filter = await c.alice.client.post<{ filter_id: string }>(user('filter'), { room: { timeline: { limit: 5 } } });
          ok(filter, 'filter');
          ok(await c.alice.client.get(user(`filter/${filter.body.filter_id}`)), 'get filter');
          const rule = `${v3}/pushrules/global/override/org.example.grants`;
          ok(await c.alice.client.put(rule, { actions: ['notify'], conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'grants' }] }), 'push rule');
          for (const p of [`${v3}/pushrules`, `${v3}/pushrules/global`, rule, `${rule}/enabled`, `${rule}/actions`]) ok(await c.alice.client.get(p), p);
          ok(await c.alice.client.put(`${rule}/enabled`, { enabled: false }), 'disable rule');
          ok(await c.alice.client.put(`${rule}/actions`, { actions: ['dont_notify'] }), 'rule actions');
          ok(await c.alice.client.delete(rule), 'delete rule');
        }),
        step('key backup', async (c) => {
          // Backed-up keys name rooms only as keys of the backup.
          const backupRoom = '!backup:localhost';
          const alg = 'm.megolm_backup.v1.curve25519-aes-sha2';
          const made = await c.alice.client.post<{ version: string }>(`${v3}/room_keys/version`, { algorithm: alg, auth_data: { public_key: 'pk' } });
          ok(made, 'backup version');
          const version = made.body.version;
          const keys = (rest = '') => `${v3}/room_keys/keys${rest}?version=${version}`;
          const session = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { e: 1 } };
          ok(await c.alice.client.get(`${v3}/room_keys/version`), 'current version');
          ok(await c.alice.client.get(`${v3}/room_keys/version/${version}`), 'version');
          ok(await c.alice.client.put(`${v3}/room_keys/version/${version}`, { algorithm: alg, auth_data: { public_key: 'pk2' }, version }), 'update version');
          ok(await c.alice.client.put(keys(), { rooms: { [backupRoom]: { sessions: { s1: session } } } }), 'put keys');
          ok(await c.alice.client.put(keys(`/${enc(backupRoom)}`), { sessions: { s2: session } }), 'put room keys');
          ok(await c.alice.client.put(keys(`/${enc(backupRoom)}/s3`), session), 'put session key');
          for (const rest of ['', `/${enc(backupRoom)}`, `/${enc(backupRoom)}/s3`]) ok(await c.alice.client.get(keys(rest)), `get keys ${rest}`);
          for (const rest of [`/${enc(backupRoom)}/s3`, `/${enc(backupRoom)}`, '']) ok(await c.alice.client.delete(keys(rest)), `delete keys ${rest}`);
          ok(await c.alice.client.delete(`${v3}/room_keys/version/${version}`), 'delete version');
        }),
      ],
    ],
    finish: step('the connections close', async (c) => {
      for (const socket of c.sockets) await socket.close();
      await runtime().mappings.idle();
    }),
    connectRacingACommit: step('a connection with since, its room moving on between its watermark and room reads', async (c) => {
      const dana = await c.fresh();
      ok(await dana.client.post(`${v3}/join/${enc(c.roomId)}`, {}), 'dana joins');
      const since = (await dana.client.get<{ next_batch: string }>(`${v3}/sync?timeout=0`)).body.next_batch;
      // $connect holds before it reads the room's info, so the message commits past the
      // watermarks it read: it finds the newest event at or below them in the timeline.
      const paused = recorder.pauseBefore('wsConnect', (r) => r.action.endsWith('GetItem') && (r.context?.['dynamodb:LeadingKeys'] ?? []).includes(`roomInfo#${c.roomId}`));
      const connecting = open(c.wsUrl, { access_token: dana.accessToken, since });
      await paused.reached;
      ok(await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'while dana connects' }), 'send during the connect');
      paused.release();
      await (await connecting).close();
    }),
    syncInEveryWay: step('sync: filtered, incremental with what happened meanwhile, woken long-poll, set_presence', async (c) => {
      // Someone never online before, so the long-poll registers them online in their rooms; a
      // thread among the newest events, so its bundle says whether they took part.
      const erin = await c.fresh();
      ok(await erin.client.post(`${v3}/join/${enc(c.roomId)}`, {}), 'erin joins');
      const root = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'a thread' });
      ok(await send(c.bob.client, c.roomId, { msgtype: 'm.text', body: 'in it', 'm.relates_to': { rel_type: 'm.thread', event_id: root.body.event_id } }), 'thread reply');
      const filter = await erin.client.post<{ filter_id: string }>(`${v3}/user/${enc(erin.userId)}/filter`, { room: { state: { lazy_load_members: true }, timeline: { limit: 10 } } });
      ok(filter, 'filter');
      const initial = await erin.client.get<{ next_batch: string }>(`${v3}/sync?filter=${filter.body.filter_id}&set_presence=unavailable`);
      ok(initial, 'initial sync');
      // Meanwhile: a to-device message, a message, a membership change, a receipt, account data, new keys.
      ok(await c.alice.client.put(`${v3}/sendToDevice/m.room_key/sync-${Date.now()}`, { messages: { [erin.userId]: { [erin.deviceId]: { k: 2 } } } }), 'to-device');
      const sent = await send(c.alice.client, c.roomId, { msgtype: 'm.text', body: `hello ${erin.userId}` });
      ok(sent, 'send');
      ok(await c.charlie.client.post(path.room(c.roomId, 'leave'), {}), 'charlie leaves');
      ok(await c.alice.client.post(path.room(c.roomId, `receipt/m.read/${enc(sent.body.event_id)}`), {}), 'receipt');
      ok(await erin.client.put(`${v3}/user/${enc(erin.userId)}/account_data/org.example.sync`, { a: 1 }), 'account data');
      ok(await erin.client.post(`${v3}/keys/upload`, { one_time_keys: { 'signed_curve25519:S1': { key: 's1' } }, fallback_keys: { 'signed_curve25519:SF': { key: 'sf', fallback: true } } }), 'keys');
      const incremental = await erin.client.get<{ next_batch: string }>(`${v3}/sync?since=${enc(initial.body.next_batch)}&filter=${filter.body.filter_id}&timeout=0&set_presence=online`);
      ok(incremental, 'incremental sync');
      // The next sync acknowledges the to-device messages the last one carried.
      const next = await erin.client.get<{ next_batch: string }>(`${v3}/sync?since=${enc(incremental.body.next_batch)}&timeout=0`);
      ok(next, 'acknowledging sync');
      // A long-poll woken by a message.
      const [woken] = await Promise.all([
        erin.client.get(`${v3}/sync?since=${enc(next.body.next_batch)}&timeout=20000`),
        new Promise((r) => setTimeout(r, 300)).then(() => send(c.alice.client, c.roomId, { msgtype: 'm.text', body: 'wake up' })),
      ]);
      ok(woken, 'long-poll');
      await runtime().mappings.idle();
    }),
  };
}
