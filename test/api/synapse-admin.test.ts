// The Synapse admin API driven as the synapse-admin web UI drives it (list users, query and create
// one, deactivate, list rooms, registration tokens, event reports), each response checked against
// the shapes Synapse documents (element-hq/synapse docs/admin_api/*.md) with strict schemas: a
// field missing, added or of another type fails. Admin-only: others get 403, no token 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { loginUser, registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { call, shaped } from '../support/synapse-admin.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, send } from './rooms-support.ts';

const id = (userOrRoom: string) => encodeURIComponent(userOrRoom);

// --- Synapse's documented shapes ---
const nullableString = z.string().nullable();
const listedUser = z.strictObject({
  name: z.string(),
  is_guest: z.boolean(),
  admin: z.boolean(),
  user_type: nullableString,
  deactivated: z.boolean(),
  erased: z.boolean(),
  shadow_banned: z.boolean(),
  displayname: nullableString,
  avatar_url: nullableString,
  creation_ts: z.number().int(),
  locked: z.boolean(),
});
const userList = z.strictObject({ users: z.array(listedUser), next_token: z.string().optional(), total: z.number().int() });
const queriedUser = listedUser.extend({
  threepids: z.array(z.unknown()),
  last_seen_ts: z.number().int().nullable(),
  appservice_id: nullableString,
  consent_server_notice_sent: nullableString,
  consent_version: nullableString,
  consent_ts: z.number().nullable(),
  external_ids: z.array(z.unknown()),
  suspended: z.boolean(),
});
const deviceList = z.strictObject({
  devices: z.array(
    z.strictObject({
      device_id: z.string(),
      display_name: z.string().optional(),
      last_seen_ip: nullableString,
      last_seen_user_agent: nullableString,
      last_seen_ts: z.number().int().nullable(),
      user_id: z.string(),
      dehydrated: z.boolean(),
    }),
  ),
  total: z.number().int(),
});
const whois = z.strictObject({
  user_id: z.string(),
  devices: z.record(z.string(), z.strictObject({ sessions: z.array(z.strictObject({ connections: z.array(z.looseObject({ ip: z.string().optional(), last_seen: z.number().optional() })) })) })),
});
const roomEntry = z.strictObject({
  room_id: z.string(),
  name: nullableString,
  canonical_alias: nullableString,
  joined_members: z.number().int(),
  joined_local_members: z.number().int(),
  version: z.string(),
  creator: z.string(),
  encryption: nullableString,
  federatable: z.boolean(),
  public: z.boolean(),
  join_rules: nullableString,
  guest_access: nullableString,
  history_visibility: z.string(),
  state_events: z.number().int(),
  room_type: nullableString,
});
const roomList = z.strictObject({
  rooms: z.array(roomEntry),
  offset: z.number().int(),
  total_rooms: z.number().int(),
  next_batch: z.number().int().optional(),
  prev_batch: z.number().int().optional(),
});
const roomDetails = roomEntry.extend({
  topic: nullableString,
  avatar: nullableString,
  joined_local_devices: z.number().int(),
  forgotten: z.boolean(),
  tombstoned: z.boolean(),
  replacement_room: nullableString,
});
const token = z.strictObject({ token: z.string(), uses_allowed: z.number().int().nullable(), pending: z.number().int(), completed: z.number().int(), expiry_time: z.number().int().nullable() });
const report = z.strictObject({
  id: z.union([z.string(), z.number()]),
  received_ts: z.number().int(),
  room_id: z.string(),
  name: nullableString,
  event_id: z.string(),
  user_id: z.string(),
  reason: nullableString,
  score: z.number().int().nullable(),
  sender: nullableString,
  canonical_alias: nullableString,
});
const reportList = z.strictObject({ event_reports: z.array(report), next_token: z.number().int().optional(), total: z.number().int() });

const shutdownRoom = z.strictObject({
  kicked_users: z.array(z.string()),
  failed_to_kick_users: z.array(z.string()),
  local_aliases: z.array(z.string()),
  new_room_id: nullableString,
});
const deleteTask = z.strictObject({
  delete_id: z.string(),
  room_id: z.string(),
  status: z.enum(['scheduled', 'active', 'complete', 'failed']),
  error: z.string().optional(),
  shutdown_room: shutdownRoom,
});
const blockStatus = z.strictObject({ block: z.boolean(), user_id: z.string().optional() });


describe('Synapse admin API', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let root: RegisteredUser;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let a: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('synapse-admin');
    anonymous = new TestClient(runtime.httpUrl);
    [root, alice, bob] = await Promise.all([registerUser(anonymous, uniqueLocalpart('root')), registerUser(anonymous, uniqueLocalpart('alice')), registerUser(anonymous, uniqueLocalpart('bob'))]);
    // The first admin, through the users depot as `npm run admin -- make-admin` does.
    await submitAccountCommand('account.setAdmin', root.userId, { admin: true });
    a = root.client;
  });
  afterAll(() => runtime?.stop());

  it('is for server admins only', async () => {
    expectError(await call(anonymous, 'GET', '/v2/users'), 401, 'M_MISSING_TOKEN');
    expectError(await call(alice.client, 'GET', '/v2/users'), 403, 'M_FORBIDDEN');
    expectError(await call(alice.client, 'POST', '/v1/registration_tokens/new', {}), 403, 'M_FORBIDDEN');
    expectError(await call(a, 'GET', '/v1/no_such_api'), 404, 'M_UNRECOGNIZED');
    expectError(await call(a, 'DELETE', '/v1/server_version'), 405, 'M_UNRECOGNIZED');
  });

  it('reports the server version', async () => {
    shaped(z.strictObject({ server_version: z.string() }), await call(a, 'GET', '/v1/server_version'));
  });

  it('lists, searches and pages users as synapse-admin asks', async () => {
    const all = shaped(userList, await call(a, 'GET', '/v2/users?from=0&limit=10&guests=false&order_by=name&dir=f'));
    expect(all.users.map((u) => u.name)).toEqual(expect.arrayContaining([root.userId, alice.userId, bob.userId]));
    expect(all.users.find((u) => u.name === root.userId)?.admin).toBe(true);
    const names = all.users.map((u) => u.name);
    expect(names).toEqual([...names].sort());

    const search = shaped(userList, await call(a, 'GET', `/v2/users?name=${alice.userId.slice(1, 9)}`));
    expect(search.users.map((u) => u.name)).toEqual([alice.userId]);
    expect(search.total).toBe(1);

    const first = shaped(userList, await call(a, 'GET', '/v2/users?limit=2'));
    expect(first.users).toHaveLength(2);
    expect(first.next_token).toBe('2');
    const second = shaped(userList, await call(a, 'GET', `/v2/users?limit=2&from=${first.next_token}`));
    expect(second.users[0]!.name).not.toBe(first.users[1]!.name);

    expectError(await call(a, 'GET', '/v2/users?from=-1'), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', '/v2/users?limit=ten'), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', '/v2/users?deactivated=maybe'), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', '/v2/users?order_by=shoe_size'), 400, 'M_INVALID_PARAM');
  });

  it('queries a user, their devices, sessions and rooms', async () => {
    const roomId = await createRoom(alice.client, { name: 'Queried' });
    const user = shaped(queriedUser, await call(a, 'GET', `/v2/users/${id(alice.userId)}`));
    expect(user).toMatchObject({ name: alice.userId, admin: false, deactivated: false });
    expect(user.last_seen_ts).toBeGreaterThan(0);
    const devices = shaped(deviceList, await call(a, 'GET', `/v2/users/${id(alice.userId)}/devices`));
    expect(devices.devices.map((d) => d.device_id)).toEqual([alice.deviceId]);
    expect(devices.total).toBe(1);
    shaped(whois, await call(a, 'GET', `/v1/whois/${id(alice.userId)}`));
    const rooms = shaped(z.strictObject({ joined_rooms: z.array(z.string()), total: z.number().int() }), await call(a, 'GET', `/v1/users/${id(alice.userId)}/joined_rooms`));
    expect(rooms.joined_rooms).toContain(roomId);
    // Pushers, as Synapse's admin API lists them (docs/admin_api/user_admin_api.md, "List all pushers").
    const set = await alice.client.post('/_matrix/client/v3/pushers/set', {
      kind: 'http', app_id: 'org.example.app', pushkey: 'admin-listed', app_display_name: 'App', device_display_name: 'Phone', lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify' },
    });
    expect(set.status).toBe(200);
    const pusher = z.object({ app_display_name: z.string(), app_id: z.string(), data: z.looseObject({ url: z.string().optional() }), device_display_name: z.string(), kind: z.string(), lang: z.string(), pushkey: z.string() });
    const listed = shaped(z.strictObject({ pushers: z.array(pusher), total: z.number().int() }), await call(a, 'GET', `/v1/users/${id(alice.userId)}/pushers`));
    expect(listed).toMatchObject({ total: 1, pushers: [{ app_id: 'org.example.app', pushkey: 'admin-listed', kind: 'http' }] });
    expectError(await call(a, 'GET', `/v1/users/${id('@nobody-here:localhost')}/pushers`), 404, 'M_NOT_FOUND');

    expectError(await call(a, 'GET', `/v2/users/${id('@nobody-here:localhost')}`), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'GET', '/v2/users/not-a-user-id'), 400, 'M_INVALID_PARAM');
  });

  it('creates an account, then modifies it (201, then 200)', async () => {
    const userId = `@${uniqueLocalpart('made')}:localhost`;
    const made = shaped(queriedUser, await call(a, 'PUT', `/v2/users/${id(userId)}`, { password: 'first-password', displayname: 'Made By Admin', admin: false }), 201);
    expect(made).toMatchObject({ name: userId, displayname: 'Made By Admin', admin: false });
    const session = await loginUser(anonymous, userId, 'first-password');

    const changed = shaped(queriedUser, await call(a, 'PUT', `/v2/users/${id(userId)}`, { displayname: 'Renamed', admin: true }));
    expect(changed).toMatchObject({ displayname: 'Renamed', admin: true });
    shaped(z.strictObject({ admin: z.boolean() }), await call(a, 'GET', `/v1/users/${id(userId)}/admin`));

    // reset_password logs every device out.
    shaped(z.strictObject({}), await call(a, 'POST', `/v1/reset_password/${id(userId)}`, { new_password: 'second-password' }));
    expectError(await session.client.get('/_matrix/client/v3/account/whoami'), 401, 'M_UNKNOWN_TOKEN');
    await loginUser(anonymous, userId, 'second-password');

    expectError(await call(a, 'PUT', `/v2/users/${id(userId)}`, ['not', 'an', 'object']), 400, 'M_BAD_JSON');
    expectError(await call(a, 'PUT', `/v2/users/${id(userId)}`, { admin: 'yes' }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'PUT', `/v2/users/${id(userId)}`, { avatar_url: 'https://example.com/a.png' }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', `/v1/reset_password/${id(userId)}`, {}), 400, 'M_MISSING_PARAM');
    expectError(await call(a, 'PUT', `/v2/users/${id('@someone:elsewhere.example')}`, {}), 400, 'M_UNKNOWN');
  });

  it('deactivates and erases a user: tokens die, rooms are left, the list hides them', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    shaped(z.strictObject({ id_server_unbind_result: z.string() }), await call(a, 'POST', `/v1/deactivate/${id(bob.userId)}`, { erase: true }));
    expectError(await bob.client.get('/_matrix/client/v3/account/whoami'), 401, 'M_UNKNOWN_TOKEN');
    expect(shaped(queriedUser, await call(a, 'GET', `/v2/users/${id(bob.userId)}`))).toMatchObject({ deactivated: true, erased: true, displayname: null });
    const listed = shaped(userList, await call(a, 'GET', '/v2/users'));
    expect(listed.users.map((u) => u.name)).not.toContain(bob.userId);
    const withDeactivated = shaped(userList, await call(a, 'GET', '/v2/users?deactivated=true'));
    expect(withDeactivated.users.map((u) => u.name)).toContain(bob.userId);
    await expect.poll(async () => shaped(z.strictObject({ members: z.array(z.string()), total: z.number().int() }), await call(a, 'GET', `/v1/rooms/${id(roomId)}/members`)).members).toEqual([alice.userId]);
    // Deactivating again changes nothing and still answers 200.
    expect((await call(a, 'POST', `/v1/deactivate/${id(bob.userId)}`, {})).status).toBe(200);
    expectError(await call(a, 'POST', `/v1/deactivate/${id(bob.userId)}`, { erase: 'yes' }), 400, 'M_BAD_JSON');
  });

  it('lists and searches rooms, with details, members and state', async () => {
    const term = uniqueLocalpart('Garden');
    const roomId = await createRoom(alice.client, { name: `The ${term} room`, preset: 'public_chat', room_alias_name: term.toLowerCase() });
    const found = shaped(roomList, await call(a, 'GET', `/v1/rooms?search_term=${term}&order_by=name&dir=f&from=0&limit=10`));
    expect(found.rooms.map((r) => r.room_id)).toEqual([roomId]);
    expect(found.rooms[0]).toMatchObject({ name: `The ${term} room`, canonical_alias: `#${term.toLowerCase()}:localhost`, joined_members: 1, creator: alice.userId, join_rules: 'public' });
    expect(found.total_rooms).toBe(1);
    const all = shaped(roomList, await call(a, 'GET', '/v1/rooms?limit=1&order_by=joined_members'));
    expect(all.rooms).toHaveLength(1);
    expect(all.next_batch).toBe(1);

    const details = shaped(roomDetails, await call(a, 'GET', `/v1/rooms/${id(roomId)}`));
    expect(details).toMatchObject({ room_id: roomId, joined_local_devices: 1, tombstoned: false });
    const members = await call<{ members: string[] }>(a, 'GET', `/v1/rooms/${id(roomId)}/members`);
    expect(members.body.members).toEqual([alice.userId]);
    const state = await call<{ state: { type: string }[] }>(a, 'GET', `/v1/rooms/${id(roomId)}/state?type=m.room.name`);
    expect(state.body.state.map((e) => e.type)).toEqual(['m.room.name']);

    expectError(await call(a, 'GET', `/v1/rooms/${id('!nope:localhost')}`), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'GET', '/v1/rooms/not-a-room'), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', '/v1/rooms?order_by=colour'), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', '/v1/rooms?dir=up'), 400, 'M_INVALID_PARAM');
  });

  it('creates, lists, updates and deletes registration tokens', async () => {
    const made = shaped(token, await call(a, 'POST', '/v1/registration_tokens/new', { uses_allowed: 1 }));
    expect(made).toMatchObject({ uses_allowed: 1, pending: 0, completed: 0, expiry_time: null });
    expect(made.token).toHaveLength(16);
    const named = shaped(token, await call(a, 'POST', '/v1/registration_tokens/new', { token: uniqueLocalpart('tok'), uses_allowed: 0 }));
    const valid = shaped(z.strictObject({ registration_tokens: z.array(token) }), await call(a, 'GET', '/v1/registration_tokens?valid=true'));
    expect(valid.registration_tokens.map((t) => t.token)).toContain(made.token);
    expect(valid.registration_tokens.map((t) => t.token)).not.toContain(named.token);
    const invalid = shaped(z.strictObject({ registration_tokens: z.array(token) }), await call(a, 'GET', '/v1/registration_tokens?valid=false'));
    expect(invalid.registration_tokens.map((t) => t.token)).toContain(named.token);

    const expiry = Date.now() + 86_400_000;
    expect(shaped(token, await call(a, 'PUT', `/v1/registration_tokens/${made.token}`, { uses_allowed: null, expiry_time: expiry }))).toMatchObject({ uses_allowed: null, expiry_time: expiry });
    expect(shaped(token, await call(a, 'GET', `/v1/registration_tokens/${made.token}`))).toMatchObject({ uses_allowed: null, expiry_time: expiry });
    shaped(z.strictObject({}), await call(a, 'DELETE', `/v1/registration_tokens/${made.token}`));
    expectError(await call(a, 'GET', `/v1/registration_tokens/${made.token}`), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'DELETE', `/v1/registration_tokens/${made.token}`), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'PUT', `/v1/registration_tokens/${made.token}`, {}), 404, 'M_NOT_FOUND');

    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { token: named.token }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { token: 'no spaces' }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { uses_allowed: -1 }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { uses_allowed: 'x' }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { expiry_time: 1 }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', { length: 65 }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', '/v1/registration_tokens/new', 'text'), 400, 'M_BAD_JSON');
    expectError(await call(a, 'GET', '/v1/registration_tokens?valid=yes'), 400, 'M_INVALID_PARAM');
  });

  it('lists event reports, shows one with its event, and dismisses it', async () => {
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    const roomId = await createRoom(alice.client, { name: 'Reported', preset: 'public_chat' });
    expect((await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    const sent = await send(alice.client, roomId, { msgtype: 'm.text', body: 'rude words' });
    const eventId = (sent.body as { event_id: string }).event_id;
    expect((await carol.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/report/${id(eventId)}`, { reason: 'rude', score: -100 })).status).toBe(200);

    const list = shaped(reportList, await call(a, 'GET', `/v1/event_reports?from=0&limit=10&room_id=${id(roomId)}`));
    expect(list.total).toBe(1);
    expect(list.event_reports[0]).toMatchObject({ room_id: roomId, event_id: eventId, user_id: carol.userId, sender: alice.userId, reason: 'rude', score: -100, name: 'Reported' });
    const reportId = String(list.event_reports[0]!.id);
    const one = await call<{ event_json: { event_id: string } }>(a, 'GET', `/v1/event_reports/${id(reportId)}`);
    shaped(report.extend({ event_json: z.looseObject({ event_id: z.string() }) }), one);
    expect(one.body.event_json.event_id).toBe(eventId);

    shaped(z.strictObject({}), await call(a, 'DELETE', `/v1/event_reports/${id(reportId)}`));
    expectError(await call(a, 'GET', `/v1/event_reports/${id(reportId)}`), 404, 'M_NOT_FOUND');
    expect(shaped(reportList, await call(a, 'GET', `/v1/event_reports?room_id=${id(roomId)}`)).total).toBe(0);
    expectError(await call(a, 'GET', '/v1/event_reports?dir=sideways'), 400, 'M_INVALID_PARAM');
  });
  it('deletes a room as synapse-admin does: members leave, aliases and listing go, the room is blocked and purged', async () => {
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    const dave = await registerUser(anonymous, uniqueLocalpart('dave'));
    const term = uniqueLocalpart('Doomed');
    const alias = `#${term.toLowerCase()}:localhost`;
    const roomId = await createRoom(alice.client, { name: `The ${term} room`, preset: 'public_chat', room_alias_name: term.toLowerCase(), visibility: 'public' });
    expect((await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    expect((await alice.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/invite`, { user_id: dave.userId })).status).toBe(200);
    await send(carol.client, roomId, { msgtype: 'm.text', body: 'soon gone' });

    expectError(await call(alice.client, 'DELETE', `/v2/rooms/${id(roomId)}`, {}), 403, 'M_FORBIDDEN');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`), 400, 'M_NOT_JSON');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, ['block']), 400, 'M_BAD_JSON');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { block: 'yes' }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { purge: 1 }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'DELETE', '/v2/rooms/not-a-room', {}), 400, 'M_UNKNOWN');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: '@someone:elsewhere.example' }), 400, 'M_UNKNOWN');
    expectError(await call(a, 'GET', `/v2/rooms/${id(roomId)}/delete_status`), 404, 'M_NOT_FOUND');

    const { delete_id } = shaped(z.strictObject({ delete_id: z.string() }), await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { block: true, purge: true, message: 'Closed' }));
    let task: z.infer<typeof deleteTask> | undefined;
    await expect
      .poll(async () => (task = shaped(deleteTask, await call(a, 'GET', `/v2/rooms/delete_status/${id(delete_id)}`))).status, { timeout: 20_000 })
      .toBe('complete');
    expect(task).toEqual({
      delete_id,
      room_id: roomId,
      status: 'complete',
      shutdown_room: { kicked_users: [alice.userId, carol.userId, dave.userId].sort(), failed_to_kick_users: [], local_aliases: [], new_room_id: null },
    });
    const byRoom = shaped(z.strictObject({ results: z.array(deleteTask) }), await call(a, 'GET', `/v2/rooms/${id(roomId)}/delete_status`));
    expect(byRoom.results).toEqual([task]);
    expectError(await call(a, 'GET', '/v2/rooms/delete_status/no-such-delete'), 404, 'M_NOT_FOUND');

    // Gone from the server: the admin API, the alias, the directory, its former members' reads.
    expectError(await call(a, 'GET', `/v1/rooms/${id(roomId)}`), 404, 'M_NOT_FOUND');
    expect(shaped(roomList, await call(a, 'GET', `/v1/rooms?search_term=${term}`)).total_rooms).toBe(0);
    expectError(await anonymous.get(`/_matrix/client/v3/directory/room/${id(alias)}`), 404, 'M_NOT_FOUND');
    const listed = await carol.client.get<{ chunk: { room_id: string }[] }>('/_matrix/client/v3/publicRooms?limit=500');
    expect(listed.body.chunk.map((r) => r.room_id)).not.toContain(roomId);
    expectError(await carol.client.get(`/_matrix/client/v3/rooms/${id(roomId)}/messages?dir=b`), 403, 'M_FORBIDDEN');
    const joined = await call<{ joined_rooms: string[] }>(a, 'GET', `/v1/users/${id(carol.userId)}/joined_rooms`);
    expect(joined.body.joined_rooms).not.toContain(roomId);
    // Blocked: no one joins again.
    expectError(await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {}, { unchecked: true }), 403, 'M_UNKNOWN');
    expect(shaped(blockStatus, await call(a, 'GET', `/v1/rooms/${id(roomId)}/block`))).toEqual({ block: true, user_id: root.userId });
  });

  it('moves the joined members of a deleted room to a new room made by new_room_user_id, with its message, as Synapse', async () => {
    const [carol, dave, moderator] = await Promise.all([registerUser(anonymous, uniqueLocalpart('carol')), registerUser(anonymous, uniqueLocalpart('dave')), registerUser(anonymous, uniqueLocalpart('mod'))]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    expect((await alice.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/invite`, { user_id: dave.userId })).status).toBe(200);

    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: moderator.userId, room_name: 5 }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: moderator.userId, message: ['x'] }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: `@${uniqueLocalpart('nobody')}:localhost` }), 404, 'M_NOT_FOUND');
    // Over the 64 KB event limit: refused before any room is made or deleted (the deletion below still finds the room whole).
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: moderator.userId, message: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
    expectError(await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, { new_room_user_id: moderator.userId, room_name: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
    // No new room was left behind by the refused requests.
    expect((await call<{ joined_rooms: string[] }>(a, 'GET', `/v1/users/${id(moderator.userId)}/joined_rooms`)).body.joined_rooms).toEqual([]);

    const body = { new_room_user_id: moderator.userId, room_name: 'Moved here', message: 'This room was closed', block: true };
    const { delete_id } = shaped(z.strictObject({ delete_id: z.string() }), await call(a, 'DELETE', `/v2/rooms/${id(roomId)}`, body));
    let task: z.infer<typeof deleteTask> | undefined;
    await expect.poll(async () => (task = shaped(deleteTask, await call(a, 'GET', `/v2/rooms/delete_status/${id(delete_id)}`))).status, { timeout: 20_000 }).toBe('complete');
    const newRoomId = task!.shutdown_room.new_room_id!;
    expect(newRoomId).toMatch(/^!/);
    expect(task!.shutdown_room.kicked_users).toEqual([alice.userId, carol.userId, dave.userId].sort());

    // The new room: public, named, made by the moderator; the joined members (not the invited) in it, unable to write.
    expect(shaped(roomDetails, await call(a, 'GET', `/v1/rooms/${id(newRoomId)}`))).toMatchObject({ name: 'Moved here', creator: moderator.userId, join_rules: 'public' });
    const members = async () => (await call<{ members: string[] }>(a, 'GET', `/v1/rooms/${id(newRoomId)}/members`)).body.members.sort();
    await expect.poll(members, { timeout: 20_000 }).toEqual([moderator.userId, alice.userId, carol.userId].sort());
    const messages = async () => {
      const res = await carol.client.get<{ chunk: { type: string; sender: string; content: { body?: string } }[] }>(`/_matrix/client/v3/rooms/${id(newRoomId)}/messages?dir=b&limit=50`);
      return res.body.chunk.filter((e) => e.type === 'm.room.message').map((e) => [e.sender, e.content.body]);
    };
    await expect.poll(messages, { timeout: 20_000 }).toEqual([[moderator.userId, 'This room was closed']]);
    const levels = await carol.client.get<{ users_default?: number }>(`/_matrix/client/v3/rooms/${id(newRoomId)}/state/m.room.power_levels/`);
    expect(levels.body.users_default).toBe(-10);
    const joined = await call<{ joined_rooms: string[] }>(a, 'GET', `/v1/users/${id(carol.userId)}/joined_rooms`);
    expect(joined.body.joined_rooms).toContain(newRoomId);
    expect(joined.body.joined_rooms).not.toContain(roomId);

    // Without room_name and message, Synapse's defaults.
    const other = await createRoom(alice.client, { preset: 'public_chat' });
    const second = shaped(z.strictObject({ delete_id: z.string() }), await call(a, 'DELETE', `/v2/rooms/${id(other)}`, { new_room_user_id: moderator.userId }));
    let done: z.infer<typeof deleteTask> | undefined;
    await expect.poll(async () => (done = shaped(deleteTask, await call(a, 'GET', `/v2/rooms/delete_status/${id(second.delete_id)}`))).status, { timeout: 20_000 }).toBe('complete');
    expect(shaped(roomDetails, await call(a, 'GET', `/v1/rooms/${id(done!.shutdown_room.new_room_id!)}`)).name).toBe('Content Violation Notification');
  });

  it('blocks and unblocks rooms, known here or not: joins, invites and new aliases are refused while blocked', async () => {
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect(shaped(blockStatus, await call(a, 'GET', `/v1/rooms/${id(roomId)}/block`))).toEqual({ block: false });
    expect(shaped(blockStatus, await call(a, 'PUT', `/v1/rooms/${id(roomId)}/block`, { block: true }))).toEqual({ block: true });
    expect(shaped(blockStatus, await call(a, 'GET', `/v1/rooms/${id(roomId)}/block`))).toEqual({ block: true, user_id: root.userId });
    expectError(await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {}, { unchecked: true }), 403, 'M_UNKNOWN');
    expectError(await alice.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/invite`, { user_id: carol.userId }, { unchecked: true }), 403, 'M_UNKNOWN');
    const alias = `#${uniqueLocalpart('blocked').toLowerCase()}:localhost`;
    expectError(await alice.client.put(`/_matrix/client/v3/directory/room/${id(alias)}`, { room_id: roomId }, { unchecked: true }), 403, 'M_UNKNOWN');
    // Its members may still leave.
    expect((await alice.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/leave`, {})).status).toBe(200);

    expect(shaped(blockStatus, await call(a, 'PUT', `/v1/rooms/${id(roomId)}/block`, { block: false }))).toEqual({ block: false });
    expect(shaped(blockStatus, await call(a, 'GET', `/v1/rooms/${id(roomId)}/block`))).toEqual({ block: false });
    expect((await carol.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);

    // A room this server does not know can be blocked ahead.
    const unknown = '!notcreatedyet:localhost';
    expect(shaped(blockStatus, await call(a, 'PUT', `/v1/rooms/${id(unknown)}/block`, { block: true }))).toEqual({ block: true });
    expect(shaped(blockStatus, await call(a, 'GET', `/v1/rooms/${id(unknown)}/block`))).toEqual({ block: true, user_id: root.userId });

    expectError(await call(a, 'PUT', `/v1/rooms/${id(roomId)}/block`, {}), 400, 'M_MISSING_PARAM');
    expectError(await call(a, 'PUT', `/v1/rooms/${id(roomId)}/block`, { block: 'no' }), 400, 'M_BAD_JSON');
    expectError(await call(a, 'PUT', '/v1/rooms/not-a-room/block', { block: true }), 400, 'M_UNKNOWN');
    expectError(await call(a, 'GET', '/v1/rooms/not-a-room/block'), 400, 'M_UNKNOWN');
    expectError(await call(alice.client, 'PUT', `/v1/rooms/${id(roomId)}/block`, { block: true }), 403, 'M_FORBIDDEN');
  });
  it('locks a user: every request answers 401 M_USER_LOCKED with soft_logout until unlocked, but logout works', async () => {
    const erin = await registerUser(anonymous, uniqueLocalpart('erin'));
    const second = await loginUser(anonymous, erin.userId);
    const locked = shaped(queriedUser, await call(a, 'PUT', `/v2/users/${id(erin.userId)}`, { locked: true }));
    expect(locked.locked).toBe(true);
    expect(shaped(userList, await call(a, 'GET', `/v2/users?name=${erin.userId.slice(1, 10)}`)).users[0]?.locked).toBe(true);
    for (const client of [erin.client, second.client]) {
      const res = await client.get('/_matrix/client/v3/account/whoami', { unchecked: true });
      expectError(res, 401, 'M_USER_LOCKED');
      expect(res.body).toMatchObject({ soft_logout: true });
    }
    expectError(await erin.client.post('/_matrix/client/v3/createRoom', {}, { unchecked: true }), 401, 'M_USER_LOCKED');
    // A session begun while locked is locked too.
    const third = await loginUser(anonymous, erin.userId);
    expectError(await third.client.get('/_matrix/client/v3/account/whoami', { unchecked: true }), 401, 'M_USER_LOCKED');
    expect((await third.client.post('/_matrix/client/v3/logout', {})).status).toBe(200);

    expect(shaped(queriedUser, await call(a, 'PUT', `/v2/users/${id(erin.userId)}`, { locked: false })).locked).toBe(false);
    expect((await erin.client.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
    expect((await second.client.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
    expectError(await call(a, 'PUT', `/v2/users/${id(erin.userId)}`, { locked: 'yes' }), 400, 'M_BAD_JSON');
  });

  it('shadow-bans a user: their sends answer 200 with an event id, and nothing is stored or delivered', async () => {
    const frank = await registerUser(anonymous, uniqueLocalpart('frank'));
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await frank.client.post(`/_matrix/client/v3/join/${id(roomId)}`, {})).status).toBe(200);
    expectError(await call(alice.client, 'POST', `/v1/users/${id(frank.userId)}/shadow_ban`), 403, 'M_FORBIDDEN');
    expectError(await call(a, 'POST', `/v1/users/${id('@someone:elsewhere.example')}/shadow_ban`), 400, 'M_UNKNOWN');
    expectError(await call(a, 'POST', `/v1/users/${id('@nobody-here:localhost')}/shadow_ban`), 404, 'M_NOT_FOUND');
    shaped(z.strictObject({}), await call(a, 'POST', `/v1/users/${id(frank.userId)}/shadow_ban`));
    expect(shaped(queriedUser, await call(a, 'GET', `/v2/users/${id(frank.userId)}`)).shadow_banned).toBe(true);

    const hidden = await send(frank.client, roomId, { msgtype: 'm.text', body: 'spam' });
    expect(hidden.status).toBe(200);
    expect(hidden.body.event_id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const state = await frank.client.put<{ event_id: string }>(`/_matrix/client/v3/rooms/${id(roomId)}/state/m.room.topic/`, { topic: 'spam' });
    expect(state.status).toBe(200);
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    expect((await frank.client.post(`/_matrix/client/v3/rooms/${id(roomId)}/invite`, { user_id: carol.userId })).status).toBe(200);
    expectError(await alice.client.get(`/_matrix/client/v3/rooms/${id(roomId)}/event/${id(hidden.body.event_id)}`), 404, 'M_NOT_FOUND');
    const seen = await alice.client.get<{ chunk: { event_id: string; type: string }[] }>(`/_matrix/client/v3/rooms/${id(roomId)}/messages?dir=b&limit=50`);
    expect(seen.body.chunk.map((e) => e.event_id)).not.toContain(hidden.body.event_id);
    expect(seen.body.chunk.map((e) => e.event_id)).not.toContain(state.body.event_id);
    expect(seen.body.chunk.filter((e) => e.type === 'm.room.member').length).toBe(2);

    shaped(z.strictObject({}), await call(a, 'DELETE', `/v1/users/${id(frank.userId)}/shadow_ban`));
    const shown = await send(frank.client, roomId, { msgtype: 'm.text', body: 'hello' });
    const after = await alice.client.get<{ chunk: { event_id: string }[] }>(`/_matrix/client/v3/rooms/${id(roomId)}/messages?dir=b&limit=5`);
    expect(after.body.chunk.map((e) => e.event_id)).toContain(shown.body.event_id);
  });

  it("overrides a user's rate limit: 0 per second lifts it, a bucket replaces it, deleting restores the default", async () => {
    const override = z.strictObject({ messages_per_second: z.number().int(), burst_count: z.number().int() });
    const [gina, hank] = await Promise.all([registerUser(anonymous, uniqueLocalpart('gina')), registerUser(anonymous, uniqueLocalpart('hank'))]);
    const [ginaRoom, hankRoom] = await Promise.all([createRoom(gina.client, {}), createRoom(hank.client, {})]);
    expect(shaped(z.strictObject({}), await call(a, 'GET', `/v1/users/${id(gina.userId)}/override_ratelimit`))).toEqual({});
    expect(shaped(override, await call(a, 'POST', `/v1/users/${id(gina.userId)}/override_ratelimit`, { messages_per_second: 0, burst_count: 0 }))).toEqual({ messages_per_second: 0, burst_count: 0 });
    expect(shaped(override, await call(a, 'GET', `/v1/users/${id(gina.userId)}/override_ratelimit`))).toEqual({ messages_per_second: 0, burst_count: 0 });
    expect(shaped(override, await call(a, 'POST', `/v1/users/${id(hank.userId)}/override_ratelimit`, { messages_per_second: 1, burst_count: 1 }))).toEqual({ messages_per_second: 1, burst_count: 1 });
    expectError(await call(a, 'POST', `/v1/users/${id(gina.userId)}/override_ratelimit`, { messages_per_second: -1 }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', `/v1/users/${id(gina.userId)}/override_ratelimit`, { burst_count: 1.5 }), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'POST', `/v1/users/${id('@someone:elsewhere.example')}/override_ratelimit`, {}), 400, 'M_UNKNOWN');
    expectError(await call(alice.client, 'GET', `/v1/users/${id(gina.userId)}/override_ratelimit`), 403, 'M_FORBIDDEN');

    const before = process.env.AXON_RATE_LIMIT_WRITES;
    process.env.AXON_RATE_LIMIT_WRITES = '3/60';
    try {
      const sends = async (user: RegisteredUser, roomId: string, n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await send(user.client, roomId, { msgtype: 'm.text', body: `m${i}` })).status);
        return out;
      };
      // No limit at all for gina; one message and then one a second for hank, below the default's 3.
      expect(await sends(gina, ginaRoom, 5)).toEqual([200, 200, 200, 200, 200]);
      const hanks = await sends(hank, hankRoom, 2);
      expect(hanks[1]).toBe(429);
      // Back to the default: 3 in the window, then refused.
      shaped(z.strictObject({}), await call(a, 'DELETE', `/v1/users/${id(gina.userId)}/override_ratelimit`));
      expect(shaped(z.strictObject({}), await call(a, 'GET', `/v1/users/${id(gina.userId)}/override_ratelimit`))).toEqual({});
      expect(await sends(gina, ginaRoom, 4)).toEqual([200, 200, 200, 429]);
    } finally {
      if (before === undefined) delete process.env.AXON_RATE_LIMIT_WRITES;
      else process.env.AXON_RATE_LIMIT_WRITES = before;
    }
  });
  it("lists a user's media as synapse-admin's user page asks", async () => {
    const ivy = await registerUser(anonymous, uniqueLocalpart('ivy'));
    const upload = async (body: string, type: string, name?: string) => {
      const res = await fetch(`${runtime.httpUrl}/_matrix/media/v3/upload${name ? `?filename=${name}` : ''}`, { method: 'POST', headers: { authorization: `Bearer ${ivy.accessToken}`, 'content-type': type }, body });
      expect(res.status).toBe(200);
      return ((await res.json()) as { content_uri: string }).content_uri.split('/').pop()!;
    };
    const first = await upload('hello', 'text/plain', 'a.txt');
    const second = await upload('{"x":1}', 'application/json');
    const created = await ivy.client.post<{ content_uri: string }>('/_matrix/media/v1/create', {});
    expect(created.status).toBe(200);
    const mediaEntry = z.strictObject({
      media_id: z.string(),
      media_type: z.string(),
      media_length: z.number().int(),
      upload_name: nullableString,
      created_ts: z.number().int(),
      last_access_ts: z.number().int().nullable(),
      quarantined_by: nullableString,
      safe_from_quarantine: z.boolean(),
    });
    const mediaList = z.strictObject({ media: z.array(mediaEntry), next_token: z.number().int().optional(), total: z.number().int() });
    const all = shaped(mediaList, await call(a, 'GET', `/v1/users/${id(ivy.userId)}/media?order_by=created_ts&dir=f`));
    // The id created and never uploaded is not listed.
    expect(all.media.map((m) => m.media_id)).toEqual([first, second]);
    expect(all.total).toBe(2);
    expect(all.media[0]).toMatchObject({ media_type: 'text/plain', media_length: 5, upload_name: 'a.txt' });
    expect(all.media[1]).toMatchObject({ media_type: 'application/json', upload_name: null });
    const paged = shaped(mediaList, await call(a, 'GET', `/v1/users/${id(ivy.userId)}/media?limit=1&dir=b`));
    expect(paged.media.map((m) => m.media_id)).toEqual([second]);
    expect(paged.next_token).toBe(1);
    expect(shaped(mediaList, await call(a, 'GET', `/v1/users/${id(bob.userId)}/media`)).total).toBe(0);

    expectError(await call(a, 'GET', `/v1/users/${id(ivy.userId)}/media?order_by=colour`), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', `/v1/users/${id(ivy.userId)}/media?limit=-1`), 400, 'M_INVALID_PARAM');
    expectError(await call(a, 'GET', `/v1/users/${id('@nobody-here:localhost')}/media`), 404, 'M_NOT_FOUND');
    expectError(await call(a, 'GET', `/v1/users/${id('@someone:elsewhere.example')}/media`), 400, 'M_UNKNOWN');
    expectError(await call(alice.client, 'GET', `/v1/users/${id(ivy.userId)}/media`), 403, 'M_FORBIDDEN');
  });
});
