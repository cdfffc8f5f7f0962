// Room versions 1–11 through the local runtime: each can be created and follows its own rules where
// one server can observe them (Synapse's flags, lib/matrix/room-versions.ts): `creator` in the create
// event before v11, event ids of v1/v2 carrying the server, knocking from v7, restricted joins from
// v8, knock_restricted from v10, what redaction keeps per version, m.room.aliases' own auth rule
// and unbounded notification levels before v6, and upgrades to and from any version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface ClientEvent { event_id: string; type: string; sender: string; state_key?: string; content: Record<string, unknown> }

const versions = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'];

describe('room versions', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let txn = 0;
  beforeAll(async () => {
    runtime = await startTestRuntime('room-versions');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  const event = (client: TestClient, roomId: string, eventId: string) => client.get<ClientEvent>(path.room(roomId, `event/${encodeURIComponent(eventId)}`));
  const state = (client: TestClient, roomId: string, type: string, stateKey = '', content: Record<string, unknown> = {}) =>
    client.put<{ event_id: string }>(path.room(roomId, `state/${type}/${encodeURIComponent(stateKey)}`), content);
  const createEvent = async (roomId: string) => (await alice.client.get<ClientEvent[]>(path.room(roomId, 'state'))).body.find((e) => e.type === 'm.room.create')!;
  const redact = (client: TestClient, roomId: string, eventId: string) =>
    client.put<{ event_id: string }>(path.room(roomId, `redact/${encodeURIComponent(eventId)}/r${++txn}`), {});
  const knock = (client: TestClient, roomId: string) => client.post(`${path.v3}/knock/${encodeURIComponent(roomId)}`, {});
  const join = (client: TestClient, roomId: string) => client.post(path.room(roomId, 'join'), {});

  it('lists 1–11 as stable in /capabilities, 11 the default (as Synapse)', async () => {
    const res = await alice.client.get<{ capabilities: { 'm.room_versions': { default: string; available: Record<string, string> } } }>(`${path.v3}/capabilities`);
    expect(res.status).toBe(200);
    const { default: byDefault, available } = res.body.capabilities['m.room_versions'];
    expect(byDefault).toBe('11');
    for (const version of versions) expect(available[version]).toBe('stable');
  });

  it('creates a room of every version: `creator` in m.room.create before v11, v1/v2 event ids name the server', async () => {
    for (const version of versions) {
      const roomId = await createRoom(alice.client, { room_version: version, preset: 'public_chat' });
      const create = await createEvent(roomId);
      expect(create.content.room_version, version).toBe(version);
      if (Number(version) < 11) expect(create.content.creator, version).toBe(alice.userId);
      else expect(create.content, version).not.toHaveProperty('creator');

      const sent = await send(alice.client, roomId, { msgtype: 'm.text', body: `hello v${version}` });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      if (Number(version) <= 2) expect(sent.body.event_id, version).toMatch(/^\$[A-Za-z0-9_-]+:localhost$/);
      else expect(sent.body.event_id, version).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
      const fetched = await event(alice.client, roomId, sent.body.event_id);
      expect(fetched.status, version).toBe(200);
      expect(fetched.body.content.body).toBe(`hello v${version}`);
      // the event can be redacted by its id in every version
      expect((await redact(alice.client, roomId, sent.body.event_id)).status, version).toBe(200);
      expect((await event(alice.client, roomId, sent.body.event_id)).body.content, version).toEqual({});
    }
  });

  it('knocking needs v7: before, the knock rule lets nobody knock, and not even invitees join', async () => {
    const v6 = await createRoom(alice.client, { room_version: '6', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    expectError(await knock(bob.client, v6), 403, 'M_FORBIDDEN');
    expect((await alice.client.post(path.room(v6, 'invite'), { user_id: bob.userId })).status).toBe(200);
    expectError(await join(bob.client, v6), 403, 'M_FORBIDDEN');

    const v7 = await createRoom(alice.client, { room_version: '7', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    expect((await knock(bob.client, v7)).status).toBe(200);
  });

  it('restricted joins need v8, knock_restricted v10', async () => {
    const space = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await join(bob.client, space)).status).toBe(200);
    const restricted = (version: string, rule: string) => createRoom(alice.client, {
      room_version: version,
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: rule, allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    expectError(await join(bob.client, await restricted('7', 'restricted')), 403, 'M_FORBIDDEN');
    expect((await join(bob.client, await restricted('8', 'restricted'))).status).toBe(200);

    const v9 = await restricted('9', 'knock_restricted');
    expectError(await join(bob.client, v9), 403, 'M_FORBIDDEN');
    expectError(await knock(bob.client, v9), 403, 'M_FORBIDDEN');
    expect((await join(bob.client, await restricted('10', 'knock_restricted'))).status).toBe(200);
    const v10 = await restricted('10', 'knock_restricted');
    const other = await registerUser(new TestClient(runtime.httpUrl));
    expect((await knock(other.client, v10)).status).toBe(200);
  });

  it('redaction keeps what each version keeps', async () => {
    const redacted = async (version: string, type: string, content: Record<string, unknown>, stateKey = '') => {
      const roomId = await createRoom(alice.client, { room_version: version });
      const sent = await state(alice.client, roomId, type, stateKey, content);
      expect(sent.status, `${version} ${type} ${JSON.stringify(sent.body)}`).toBe(200);
      expect((await redact(alice.client, roomId, sent.body.event_id)).status).toBe(200);
      return (await event(alice.client, roomId, sent.body.event_id)).body.content;
    };
    const allow = [{ type: 'm.room_membership', room_id: '!a:localhost' }];
    // join rules keep `allow` from v8 (restricted joins)
    expect(await redacted('7', 'm.room.join_rules', { join_rule: 'invite', allow })).toEqual({ join_rule: 'invite' });
    expect(await redacted('8', 'm.room.join_rules', { join_rule: 'invite', allow })).toEqual({ join_rule: 'invite', allow });
    // power levels keep `invite` from v11
    const levels = { users: { [alice.userId]: 100 }, invite: 10, ban: 40 };
    expect(await redacted('10', 'm.room.power_levels', levels)).toEqual({ users: { [alice.userId]: 100 }, ban: 40 });
    expect(await redacted('11', 'm.room.power_levels', levels)).toEqual(levels);
    // m.room.aliases keeps `aliases` before v6
    expect(await redacted('5', 'm.room.aliases', { aliases: ['#x:localhost'] }, 'localhost')).toEqual({ aliases: ['#x:localhost'] });
    expect(await redacted('6', 'm.room.aliases', { aliases: ['#x:localhost'] }, 'localhost')).toEqual({});
  });

  it('redaction keeps join_authorised_via_users_server from v9', async () => {
    const space = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await join(bob.client, space)).status).toBe(200);
    for (const [version, kept] of [['8', false], ['9', true]] as const) {
      const roomId = await createRoom(alice.client, {
        room_version: version,
        initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
      });
      expect((await join(bob.client, roomId)).status).toBe(200);
      const joined = (await bob.client.get<ClientEvent[]>(path.room(roomId, 'state'))).body.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)!;
      expect(joined.content.join_authorised_via_users_server).toBe(alice.userId);
      expect((await redact(alice.client, roomId, joined.event_id)).status).toBe(200);
      const after = (await event(alice.client, roomId, joined.event_id)).body.content;
      expect(after, version).toEqual(kept ? { membership: 'join', join_authorised_via_users_server: alice.userId } : { membership: 'join' });
    }
  });

  it('m.room.aliases has its own auth rule before v6: a member without power sets their server\'s entry', async () => {
    for (const [version, status] of [['5', 200], ['6', 403]] as const) {
      const roomId = await createRoom(alice.client, { room_version: version, preset: 'public_chat' });
      expect((await join(bob.client, roomId)).status).toBe(200);
      expect((await state(bob.client, roomId, 'm.room.aliases', 'localhost', { aliases: [] })).status, version).toBe(status);
    }
    const v5 = await createRoom(alice.client, { room_version: '5' });
    expectError(await state(alice.client, v5, 'm.room.aliases', 'elsewhere.example', { aliases: [] }), 403, 'M_FORBIDDEN');
  });

  it('notification levels are bounded by the sender\'s level from v6', async () => {
    for (const [version, status] of [['5', 200], ['6', 403]] as const) {
      const roomId = await createRoom(alice.client, { room_version: version, preset: 'public_chat' });
      expect((await join(bob.client, roomId)).status).toBe(200);
      const levels = { users: { [alice.userId]: 100, [bob.userId]: 50 }, events: { 'm.room.power_levels': 50 } };
      expect((await state(alice.client, roomId, 'm.room.power_levels', '', levels)).status).toBe(200);
      const raised = await state(bob.client, roomId, 'm.room.power_levels', '', { ...levels, notifications: { room: 100 } });
      expect(raised.status, `${version} ${JSON.stringify(raised.body)}`).toBe(status);
    }
  });

  it('upgrades from and to any version', async () => {
    for (const [from, to] of [['1', '11'], ['11', '1'], ['6', '9'], ['9', '10']]) {
      const oldRoom = await createRoom(alice.client, { room_version: from, preset: 'public_chat', name: `from ${from}` });
      const res = await alice.client.post<{ replacement_room: string }>(path.room(oldRoom, 'upgrade'), { new_version: to });
      expect(res.status, `${from}→${to} ${JSON.stringify(res.body)}`).toBe(200);
      const create = await createEvent(res.body.replacement_room);
      expect(create.content.room_version).toBe(to);
      expect(create.content.predecessor).toMatchObject({ room_id: oldRoom });
      if (Number(to) < 11) expect(create.content.creator).toBe(alice.userId);
      else expect(create.content).not.toHaveProperty('creator');
      const name = await alice.client.get<{ name: string }>(path.room(res.body.replacement_room, 'state/m.room.name/'));
      expect(name.body.name).toBe(`from ${from}`);
    }
  });
});
