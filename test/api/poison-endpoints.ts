// Every endpoint whose function appends to a depot, with one request each that carries a
// client-chosen value at a spot the operation reads (`POISON`, a placeholder the test replaces in
// the JSON text with each poison). The poison test checks the table against the module, so an
// appending route added later must be added here too.
import type { RegisteredUser } from '../support/accounts.ts';
import type { TestClient } from '../support/matrix-client.ts';

/** Replaced, quotes included, by each poison's JSON text. */
export const POISON = '__POISON__';
export const PASSWORD = 'correct horse battery staple';

export interface PoisonContext {
  alice: RegisteredUser;
  bob: RegisteredUser;
  anonymous: TestClient;
  /** Alice's private room (bob's room on the same rooms shard is the test's witness). */
  aliceRoom: string;
  /** Alice's public room that charlie joined (kick, ban, unban). */
  membersRoom: string;
  charlie: RegisteredUser;
  /** Bob's room with join rule knock. */
  knockRoom: string;
  /** Alice's room she leaves and forgets. */
  leaveRoom: string;
  /** An event of alice in aliceRoom. */
  eventId: string;
  /** Alice's current key backup version (the backup endpoints may make new ones). */
  backupVersion(): Promise<string>;
  /** A new user (for requests that may log out, deactivate or delete its devices). */
  fresh(): Promise<RegisteredUser>;
  /** A server admin (the Synapse admin API). */
  admin: RegisteredUser;
}

export interface PoisonRequest {
  client: TestClient;
  method: 'POST' | 'PUT' | 'DELETE';
  path: string;
  body: unknown;
}

export type PoisonEndpoint = (ctx: PoisonContext, n: number) => Promise<Omit<PoisonRequest, 'method'>> | Omit<PoisonRequest, 'method'>;

const v3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const auth = (user: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: PASSWORD });
/** For routes without a body: the poison rides in a field the operation ignores (still parsed). */
const extra = { 'org.example.poison': POISON };
const room = (roomId: string, rest: string) => `${v3}/rooms/${enc(roomId)}/${rest}`;
const user = (u: RegisteredUser, rest: string) => `${v3}/user/${enc(u.userId)}/${rest}`;
const keys = async (ctx: PoisonContext, rest = '') => `${v3}/room_keys/keys${rest}?version=${enc(await ctx.backupVersion())}`;
const session = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { ephemeral: POISON } };
const rule = `${v3}/pushrules/global/override/org.example.poison`;

/** `METHOD path` (as the module declares it, without /_matrix/client) → the request. */
export const poisonEndpoints: Record<string, PoisonEndpoint> = {
  // The Synapse admin API: one catch-all route per method; a request to one endpoint stands for it.
  'PUT /_synapse/admin/{path+}': (ctx, n) => ({
    client: ctx.admin.client,
    path: `/_synapse/admin/v2/users/${enc(`@poison_admin${n}_${Math.random().toString(36).slice(2, 8)}:localhost`)}`,
    body: { password: PASSWORD, displayname: POISON },
  }),
  'POST /_synapse/admin/{path+}': (ctx) => ({ client: ctx.admin.client, path: '/_synapse/admin/v1/registration_tokens/new', body: { token: POISON } }),
  'DELETE /_synapse/admin/{path+}': (ctx) => ({ client: ctx.admin.client, path: '/_synapse/admin/v1/registration_tokens/poison-none', body: extra }),
  'POST /v3/register': async (ctx, n) => {
    const username = `poison_reg${n}_${Math.random().toString(36).slice(2, 8)}`;
    const first = await ctx.anonymous.post<{ session?: string }>(`${v3}/register`, { username, password: PASSWORD });
    const auth = { type: 'm.login.dummy', ...(first.body.session ? { session: first.body.session } : {}) };
    return { client: ctx.anonymous, path: `${v3}/register`, body: { username, password: PASSWORD, initial_device_display_name: POISON, auth } };
  },
  'POST /v3/login': (ctx) => ({
    client: ctx.anonymous,
    path: `${v3}/login`,
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: ctx.alice.userId }, password: PASSWORD, initial_device_display_name: POISON },
  }),
  // Sliding sync appends (presence, to-device acknowledgements) as it answers: the poison is the connection's id.
  'POST /unstable/org.matrix.simplified_msc3575/sync': (ctx) => ({
    client: ctx.alice.client,
    path: '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync?timeout=0',
    body: { conn_id: POISON, lists: { all: { ranges: [[0, 1]], timeline_limit: 1, required_state: [] } } },
  }),
  // The refresh token is a fresh device's (each request rotates it); the poison rides beside it.
  'POST /v3/refresh': async (ctx) => {
    const u = await ctx.fresh();
    const login = await ctx.anonymous.post<{ refresh_token: string }>(`${v3}/login`, { ...auth(u.userId), refresh_token: true });
    return { client: ctx.anonymous, path: `${v3}/refresh`, body: { refresh_token: login.body.refresh_token, ...extra } };
  },
  'POST /v3/logout': async (ctx) => ({ client: (await ctx.fresh()).client, path: `${v3}/logout`, body: extra }),
  'POST /v3/logout/all': async (ctx) => ({ client: (await ctx.fresh()).client, path: `${v3}/logout/all`, body: extra }),
  'POST /v3/account/password': async (ctx) => {
    const u = await ctx.fresh();
    return { client: u.client, path: `${v3}/account/password`, body: { new_password: POISON, logout_devices: false, auth: auth(u.userId) } };
  },
  'POST /v3/account/deactivate': async (ctx) => {
    const u = await ctx.fresh();
    return { client: u.client, path: `${v3}/account/deactivate`, body: { auth: auth(u.userId), id_server: POISON } };
  },
  'PUT /v3/devices/{deviceId}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/devices/${enc(ctx.alice.deviceId)}`, body: { display_name: POISON } }),
  'DELETE /v3/devices/{deviceId}': async (ctx) => {
    const u = await ctx.fresh();
    return { client: u.client, path: `${v3}/devices/${enc(u.deviceId)}`, body: { auth: auth(u.userId), ...extra } };
  },
  'POST /v3/delete_devices': async (ctx) => {
    const u = await ctx.fresh();
    return { client: u.client, path: `${v3}/delete_devices`, body: { devices: [POISON], auth: auth(u.userId) } };
  },
  'PUT /v3/profile/{userId}/{keyName}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/profile/${enc(ctx.alice.userId)}/displayname`, body: { displayname: POISON } }),
  'DELETE /v3/profile/{userId}/{keyName}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/profile/${enc(ctx.alice.userId)}/org.example.poison`, body: extra }),

  'POST /v3/createRoom': (ctx) => ({ client: ctx.alice.client, path: `${v3}/createRoom`, body: { name: POISON } }),
  'POST /v3/join/{roomIdOrAlias}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/join/${enc(ctx.aliceRoom)}`, body: { reason: POISON } }),
  'POST /v3/rooms/{roomId}/join': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'join'), body: { reason: POISON } }),
  'POST /v3/knock/{roomIdOrAlias}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/knock/${enc(ctx.knockRoom)}`, body: { reason: POISON } }),
  'POST /v3/rooms/{roomId}/leave': (ctx) => ({ client: ctx.alice.client, path: room(ctx.leaveRoom, 'leave'), body: { reason: POISON } }),
  'POST /v3/rooms/{roomId}/forget': (ctx) => ({ client: ctx.alice.client, path: room(ctx.leaveRoom, 'forget'), body: extra }),
  'POST /v3/rooms/{roomId}/invite': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'invite'), body: { user_id: ctx.bob.userId, reason: POISON } }),
  'POST /v3/rooms/{roomId}/kick': (ctx) => ({ client: ctx.alice.client, path: room(ctx.membersRoom, 'kick'), body: { user_id: ctx.charlie.userId, reason: POISON } }),
  'POST /v3/rooms/{roomId}/ban': (ctx) => ({ client: ctx.alice.client, path: room(ctx.membersRoom, 'ban'), body: { user_id: ctx.charlie.userId, reason: POISON } }),
  'POST /v3/rooms/{roomId}/unban': (ctx) => ({ client: ctx.alice.client, path: room(ctx.membersRoom, 'unban'), body: { user_id: ctx.charlie.userId, reason: POISON } }),
  'POST /v3/rooms/{roomId}/upgrade': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'upgrade'), body: { new_version: POISON } }),
  'PUT /v3/rooms/{roomId}/send/{eventType}/{txnId}': (ctx, n) => ({
    client: ctx.alice.client,
    path: room(ctx.aliceRoom, `send/m.room.message/poison${n}`),
    body: { msgtype: 'm.text', body: POISON },
  }),
  'PUT /v3/rooms/{roomId}/state/{eventType}/{stateKey}': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'state/org.example.poison/k'), body: { value: POISON } }),
  'PUT /v3/rooms/{roomId}/state/{statePath+}': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'state/org.example.poison'), body: { value: POISON } }),
  'PUT /v3/rooms/{roomId}/redact/{eventId}/{txnId}': (ctx, n) => ({
    client: ctx.alice.client,
    path: room(ctx.aliceRoom, `redact/${enc(ctx.eventId)}/poison${n}`),
    body: { reason: POISON },
  }),

  'PUT /v3/directory/room/{roomAlias}': (ctx, n) => ({ client: ctx.alice.client, path: `${v3}/directory/room/${enc(`#poison${n}:localhost`)}`, body: { room_id: POISON } }),
  'DELETE /v3/directory/room/{roomAlias}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/directory/room/${enc('#poison-none:localhost')}`, body: extra }),
  'PUT /v3/directory/list/room/{roomId}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/directory/list/room/${enc(ctx.aliceRoom)}`, body: { visibility: POISON } }),

  'PUT /v3/user/{userId}/account_data/{type}': (ctx) => ({ client: ctx.alice.client, path: user(ctx.alice, 'account_data/org.example.poison'), body: { value: POISON } }),
  'PUT /v3/user/{userId}/rooms/{roomId}/account_data/{type}': (ctx) => ({
    client: ctx.alice.client,
    path: user(ctx.alice, `rooms/${enc(ctx.aliceRoom)}/account_data/org.example.poison`),
    body: { value: POISON },
  }),
  'PUT /v3/user/{userId}/rooms/{roomId}/tags/{tag}': (ctx) => ({ client: ctx.alice.client, path: user(ctx.alice, `rooms/${enc(ctx.aliceRoom)}/tags/u.poison`), body: { order: 0.5, value: POISON } }),
  'DELETE /v3/user/{userId}/rooms/{roomId}/tags/{tag}': (ctx) => ({ client: ctx.alice.client, path: user(ctx.alice, `rooms/${enc(ctx.aliceRoom)}/tags/u.poison`), body: extra }),
  'POST /v3/user/{userId}/filter': (ctx) => ({ client: ctx.alice.client, path: user(ctx.alice, 'filter'), body: { room: { timeline: { limit: 5 } }, org_example: POISON } }),
  'PUT /v3/pushrules/global/{kind}/{ruleId}': (ctx) => ({
    client: ctx.alice.client,
    path: rule,
    body: { actions: ['notify'], conditions: [{ kind: 'event_match', key: 'content.body', pattern: POISON }] },
  }),
  'DELETE /v3/pushrules/global/{kind}/{ruleId}': (ctx) => ({ client: ctx.alice.client, path: rule, body: extra }),
  'PUT /v3/pushrules/global/{kind}/{ruleId}/enabled': (ctx) => ({ client: ctx.alice.client, path: `${rule}/enabled`, body: { enabled: POISON } }),
  'PUT /v3/pushrules/global/{kind}/{ruleId}/actions': (ctx) => ({ client: ctx.alice.client, path: `${rule}/actions`, body: { actions: [POISON] } }),

  'PUT /v3/rooms/{roomId}/typing/{userId}': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, `typing/${enc(ctx.alice.userId)}`), body: { typing: true, timeout: POISON } }),
  'PUT /v3/presence/{userId}/status': (ctx) => ({ client: ctx.alice.client, path: `${v3}/presence/${enc(ctx.alice.userId)}/status`, body: { presence: 'online', status_msg: POISON } }),
  'POST /v3/rooms/{roomId}/receipt/{receiptType}/{eventId}': (ctx) => ({
    client: ctx.alice.client,
    path: room(ctx.aliceRoom, `receipt/m.read/${enc(ctx.eventId)}`),
    body: { thread_id: POISON },
  }),
  'POST /v3/rooms/{roomId}/read_markers': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'read_markers'), body: { 'm.fully_read': POISON } }),

  'POST /v3/keys/upload': (ctx, n) => ({ client: ctx.alice.client, path: `${v3}/keys/upload`, body: { one_time_keys: { [`signed_curve25519:P${n}`]: { key: POISON } } } }),
  'POST /v3/keys/query': (ctx) => ({ client: ctx.alice.client, path: `${v3}/keys/query`, body: { device_keys: { [ctx.bob.userId]: [POISON] } } }),
  'POST /v3/keys/claim': (ctx) => ({ client: ctx.alice.client, path: `${v3}/keys/claim`, body: { one_time_keys: { [ctx.bob.userId]: { [ctx.bob.deviceId]: POISON } } } }),
  'POST /v3/keys/device_signing/upload': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/keys/device_signing/upload`,
    body: { master_key: { user_id: ctx.alice.userId, usage: ['master'], keys: { 'ed25519:poison': POISON } }, auth: auth(ctx.alice.userId) },
  }),
  'POST /v3/keys/signatures/upload': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/keys/signatures/upload`,
    body: { [ctx.alice.userId]: { [ctx.alice.deviceId]: { user_id: ctx.alice.userId, device_id: ctx.alice.deviceId, signatures: { [ctx.alice.userId]: { 'ed25519:x': POISON } } } } },
  }),
  'POST /v3/room_keys/version': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/room_keys/version`,
    body: { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: POISON } },
  }),
  'PUT /v3/room_keys/version/{version}': async (ctx) => {
    const version = await ctx.backupVersion();
    return { client: ctx.alice.client, path: `${v3}/room_keys/version/${enc(version)}`, body: { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: POISON }, version } };
  },
  'DELETE /v3/room_keys/version/{version}': (ctx) => ({ client: ctx.alice.client, path: `${v3}/room_keys/version/999999`, body: extra }),
  'PUT /v3/room_keys/keys': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx), body: { rooms: { [ctx.aliceRoom]: { sessions: { poison: session } } } } }),
  'DELETE /v3/room_keys/keys': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx), body: extra }),
  'PUT /v3/room_keys/keys/{roomId}': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx, `/${enc(ctx.aliceRoom)}`), body: { sessions: { poison: session } } }),
  'DELETE /v3/room_keys/keys/{roomId}': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx, `/${enc(ctx.aliceRoom)}`), body: extra }),
  'PUT /v3/room_keys/keys/{roomId}/{sessionId}': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx, `/${enc(ctx.aliceRoom)}/poison`), body: session }),
  'DELETE /v3/room_keys/keys/{roomId}/{sessionId}': async (ctx) => ({ client: ctx.alice.client, path: await keys(ctx, `/${enc(ctx.aliceRoom)}/poison`), body: extra }),
  'PUT /v3/sendToDevice/{eventType}/{txnId}': (ctx, n) => ({
    client: ctx.alice.client,
    path: `${v3}/sendToDevice/org.example.poison/poison${n}`,
    body: { messages: { [ctx.bob.userId]: { [ctx.bob.deviceId]: { body: POISON } } } },
  }),

  'POST /v3/account/3pid': (ctx) => ({ client: ctx.alice.client, path: `${v3}/account/3pid`, body: { three_pid_creds: { client_secret: POISON, sid: 's' } } }),
  'POST /v3/account/3pid/add': (ctx) => ({ client: ctx.alice.client, path: `${v3}/account/3pid/add`, body: { client_secret: POISON, sid: 's', auth: auth(ctx.alice.userId) } }),
  'POST /v3/account/3pid/bind': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/account/3pid/bind`,
    body: { client_secret: POISON, sid: 's', id_server: 'id.example.org', id_access_token: 't' },
  }),
  'POST /v3/account/3pid/unbind': (ctx) => ({ client: ctx.alice.client, path: `${v3}/account/3pid/unbind`, body: { medium: 'email', address: POISON } }),
  'POST /v3/account/3pid/delete': (ctx) => ({ client: ctx.alice.client, path: `${v3}/account/3pid/delete`, body: { medium: 'email', address: POISON } }),
  'POST /v3/account/3pid/email/requestToken': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/account/3pid/email/requestToken`,
    body: { client_secret: POISON, email: 'a@example.org', send_attempt: 1 },
  }),
  'POST /v3/account/3pid/msisdn/requestToken': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/account/3pid/msisdn/requestToken`,
    body: { client_secret: POISON, country: 'GB', phone_number: '07700900000', send_attempt: 1 },
  }),
  'POST /v3/register/email/requestToken': (ctx) => ({
    client: ctx.anonymous,
    path: `${v3}/register/email/requestToken`,
    body: { client_secret: POISON, email: 'a@example.org', send_attempt: 1 },
  }),
  'POST /v3/register/msisdn/requestToken': (ctx) => ({
    client: ctx.anonymous,
    path: `${v3}/register/msisdn/requestToken`,
    body: { client_secret: POISON, country: 'GB', phone_number: '07700900000', send_attempt: 1 },
  }),
  'POST /v3/account/password/email/requestToken': (ctx) => ({
    client: ctx.anonymous,
    path: `${v3}/account/password/email/requestToken`,
    body: { client_secret: POISON, email: 'a@example.org', send_attempt: 1 },
  }),
  'POST /v3/account/password/msisdn/requestToken': (ctx) => ({
    client: ctx.anonymous,
    path: `${v3}/account/password/msisdn/requestToken`,
    body: { client_secret: POISON, country: 'GB', phone_number: '07700900000', send_attempt: 1 },
  }),
  'POST /v3/pushers/set': (ctx) => ({
    client: ctx.alice.client,
    path: `${v3}/pushers/set`,
    body: {
      kind: 'http',
      app_id: 'org.example.poison',
      pushkey: 'poison',
      app_display_name: 'A',
      device_display_name: 'D',
      lang: 'en',
      data: { url: 'https://push.example.org/_matrix/push/v1/notify', value: POISON },
    },
  }),
  'POST /v3/user/{userId}/openid/request_token': (ctx) => ({ client: ctx.alice.client, path: user(ctx.alice, 'openid/request_token'), body: extra }),
  'POST /v3/rooms/{roomId}/report/{eventId}': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, `report/${enc(ctx.eventId)}`), body: { reason: POISON } }),
  'POST /v3/rooms/{roomId}/report': (ctx) => ({ client: ctx.alice.client, path: room(ctx.aliceRoom, 'report'), body: { reason: POISON } }),
  'POST /v3/users/{userId}/report': (ctx) => ({ client: ctx.alice.client, path: `${v3}/users/${enc(ctx.bob.userId)}/report`, body: { reason: POISON } }),
};
