// Per-user data through the HTTP API: account data (global and per room), room tags, filters and
// push rules; each write goes through the users depot and the user-data topology.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;
const room = '!tagged:localhost';

describe('per-user data', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('user-data');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  describe('capabilities', () => {
    it('lists the room versions and what may be changed', async () => {
      const res = await alice.client.get<{ capabilities: Record<string, { enabled?: boolean; default?: string; available?: Record<string, string> }> }>(`${v3}/capabilities`);
      expect(res.status).toBe(200);
      const caps = res.body.capabilities;
      expect(caps['m.change_password']?.enabled).toBe(true);
      expect(caps['m.room_versions']?.default).toBe('11');
      // Every version Synapse offers as stable (lib/matrix/room-versions.ts).
      expect(caps['m.room_versions']?.available).toEqual(Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].map((v) => [v, 'stable'])));
      expect(caps['m.3pid_changes']?.enabled).toBe(false);
    });

    it('needs an access token', async () => {
      expectError(await new TestClient(runtime.httpUrl).get(`${v3}/capabilities`), 401, 'M_MISSING_TOKEN');
      expectError(await new TestClient(runtime.httpUrl, 'nonsense').get(`${v3}/capabilities`), 401, 'M_UNKNOWN_TOKEN');
    });
  });

  describe('account data', () => {
    const path = (user: RegisteredUser, type: string) => `${v3}/user/${u(user.userId)}/account_data/${u(type)}`;
    const roomPath = (user: RegisteredUser, roomId: string, type: string) => `${v3}/user/${u(user.userId)}/rooms/${u(roomId)}/account_data/${u(type)}`;

    it('stores global account data and gives it back', async () => {
      const content = { theme: 'dark', nested: { list: [1, 'two', null], flag: false }, ratio: 0.25 };
      expect((await alice.client.put(path(alice, 'org.example.settings'), content)).status).toBe(200);
      const res = await alice.client.get(path(alice, 'org.example.settings'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(content);
      // A second PUT replaces the content.
      await alice.client.put(path(alice, 'org.example.settings'), { theme: 'light' });
      expect((await alice.client.get(path(alice, 'org.example.settings'))).body).toEqual({ theme: 'light' });
    });

    it('answers 404 for a type never set', async () => {
      expectError(await alice.client.get(path(alice, 'org.example.never')), 404, 'M_NOT_FOUND');
    });

    it("refuses another user's account data, and writes nothing", async () => {
      expectError(await bob.client.put(path(alice, 'org.example.bob'), { x: 1 }), 403, 'M_FORBIDDEN');
      expectError(await bob.client.get(path(alice, 'org.example.settings')), 403, 'M_FORBIDDEN');
      expectError(await alice.client.get(path(alice, 'org.example.bob')), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(path(bob, 'org.example.bob')), 404, 'M_NOT_FOUND');
    });

    it('refuses bodies that are not JSON objects', async () => {
      expectError(await alice.client.put(path(alice, 'org.example.bad'), [1, 2]), 400, 'M_BAD_JSON');
      expectError(await alice.client.put(path(alice, 'org.example.bad'), undefined, { rawBody: '{nope' }), 400, 'M_NOT_JSON');
      expectError(await alice.client.get(path(alice, 'org.example.bad')), 404, 'M_NOT_FOUND');
    });

    it('refuses content over 64 KB with 413 M_TOO_LARGE', async () => {
      expectError(await alice.client.put(path(alice, 'org.example.big'), { blob: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
      expectError(await alice.client.get(path(alice, 'org.example.big')), 404, 'M_NOT_FOUND');
      expectError(await alice.client.post(`${v3}/user/${u(alice.userId)}/filter`, { 'org.example.pad': 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
    });

    it('refuses the types the server controls with 405 M_BAD_JSON', async () => {
      expectError(await alice.client.put(path(alice, 'm.fully_read'), { event_id: '$x' }), 405, 'M_BAD_JSON');
      expectError(await alice.client.put(path(alice, 'm.push_rules'), {}), 405, 'M_BAD_JSON');
      expectError(await alice.client.put(roomPath(alice, room, 'm.fully_read'), { event_id: '$x' }), 405, 'M_BAD_JSON');
    });

    it('keeps per-room account data apart from global data and other rooms', async () => {
      await alice.client.put(roomPath(alice, room, 'org.example.note'), { text: 'room one' });
      await alice.client.put(roomPath(alice, '!other:localhost', 'org.example.note'), { text: 'room two' });
      expect((await alice.client.get(roomPath(alice, room, 'org.example.note'))).body).toEqual({ text: 'room one' });
      expect((await alice.client.get(roomPath(alice, '!other:localhost', 'org.example.note'))).body).toEqual({ text: 'room two' });
      expectError(await alice.client.get(path(alice, 'org.example.note')), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(roomPath(alice, room, 'org.example.note')), 403, 'M_FORBIDDEN');
    });

    it('refuses a malformed room id with M_INVALID_PARAM', async () => {
      expectError(await alice.client.put(roomPath(alice, 'not-a-room', 'org.example.note'), { a: 1 }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.get(roomPath(alice, 'not-a-room', 'org.example.note')), 400, 'M_INVALID_PARAM');
    });
  });

  describe('room tags', () => {
    const tags = (user: RegisteredUser) => `${v3}/user/${u(user.userId)}/rooms/${u(room)}/tags`;

    it('adds, lists and removes tags, kept as the room account data m.tag', async () => {
      expect((await alice.client.get(tags(alice))).body).toEqual({ tags: {} });
      expect((await alice.client.put(`${tags(alice)}/m.favourite`, { order: 0.5 })).status).toBe(200);
      expect((await alice.client.put(`${tags(alice)}/${u('u.Work stuff')}`, {})).status).toBe(200);
      expect((await alice.client.get(tags(alice))).body).toEqual({ tags: { 'm.favourite': { order: 0.5 }, 'u.Work stuff': {} } });
      const stored = await alice.client.get(`${v3}/user/${u(alice.userId)}/rooms/${u(room)}/account_data/m.tag`);
      expect(stored.body).toEqual({ tags: { 'm.favourite': { order: 0.5 }, 'u.Work stuff': {} } });

      expect((await alice.client.delete(`${tags(alice)}/m.favourite`)).status).toBe(200);
      expect((await alice.client.get(tags(alice))).body).toEqual({ tags: { 'u.Work stuff': {} } });
      // Removing a tag that is not there is fine.
      expect((await alice.client.delete(`${tags(alice)}/m.lowpriority`)).status).toBe(200);
    });

    it("refuses another user's tags and bad tag bodies", async () => {
      expectError(await bob.client.get(tags(alice)), 403, 'M_FORBIDDEN');
      expectError(await bob.client.put(`${tags(alice)}/m.favourite`, {}), 403, 'M_FORBIDDEN');
      expectError(await bob.client.delete(`${tags(alice)}/u.Work%20stuff`), 403, 'M_FORBIDDEN');
      expectError(await alice.client.put(`${tags(alice)}/m.favourite`, { order: 'first' }), 400, 'M_BAD_JSON');
      expect((await alice.client.get(tags(alice))).body).toEqual({ tags: { 'u.Work stuff': {} } });
    });
  });

  describe('filters', () => {
    const filterPath = (user: RegisteredUser) => `${v3}/user/${u(user.userId)}/filter`;

    it('gives back a filter exactly as it was uploaded', async () => {
      const filter = {
        event_fields: ['type', 'content.body', 'content.m\\.relates_to'],
        event_format: 'client',
        presence: { not_types: ['*'] },
        room: {
          timeline: { limit: 20, lazy_load_members: true, 'org.example.unknown': { deep: [1, { x: 'ü€😀' }] } },
          state: { lazy_load_members: true, include_redundant_members: false },
          include_leave: false,
        },
        'org.example.extension': 3.5,
      };
      const created = await alice.client.post<{ filter_id: string }>(filterPath(alice), filter);
      expect(created.status).toBe(200);
      expect(typeof created.body.filter_id).toBe('string');
      const fetched = await alice.client.get(`${filterPath(alice)}/${u(created.body.filter_id)}`);
      expect(fetched.status).toBe(200);
      // Deep equality, as matrix-js-sdk compares: same keys, values and types at every depth (the
      // order of object keys is not kept: DynamoDB maps are unordered, and JSON objects are too).
      expect(fetched.body).toStrictEqual(filter);

      const second = await alice.client.post<{ filter_id: string }>(filterPath(alice), {});
      expect(second.body.filter_id).not.toBe(created.body.filter_id);
      expect((await alice.client.get(`${filterPath(alice)}/${u(second.body.filter_id)}`)).body).toStrictEqual({});
    });

    it('answers 404 for an unknown filter id and 403 for another user', async () => {
      expectError(await alice.client.get(`${filterPath(alice)}/999999`), 404, 'M_NOT_FOUND');
      const mine = await alice.client.post<{ filter_id: string }>(filterPath(alice), { room: { rooms: ['!a:localhost'] } });
      expectError(await bob.client.get(`${filterPath(alice)}/${u(mine.body.filter_id)}`), 403, 'M_FORBIDDEN');
      expectError(await bob.client.post(filterPath(alice), {}), 403, 'M_FORBIDDEN');
      // Bob's filters are his own: alice's id means nothing there.
      expectError(await bob.client.get(`${filterPath(bob)}/${u(mine.body.filter_id)}`), 404, 'M_NOT_FOUND');
    });

    it('refuses malformed filters and stores nothing for them', async () => {
      const before = await bob.client.post<{ filter_id: string }>(filterPath(bob), {});
      expectError(await bob.client.post(filterPath(bob), { event_format: 'xml' }), 400, 'M_BAD_JSON');
      expectError(await bob.client.post(filterPath(bob), { room: { timeline: { limit: 'ten' } } }), 400, 'M_BAD_JSON');
      expectError(await bob.client.post(filterPath(bob), ['not', 'an', 'object']), 400, 'M_BAD_JSON');
      expectError(await bob.client.post(filterPath(bob), undefined, { rawBody: 'not json' }), 400, 'M_NOT_JSON');
      const after = await bob.client.post<{ filter_id: string }>(filterPath(bob), {});
      // Ids count up per user: nothing was taken by the refused uploads.
      expect(Number(after.body.filter_id)).toBe(Number(before.body.filter_id) + 1);
    });
  });

  describe('push rules', () => {
    const rules = `${v3}/pushrules/global`;
    type Rule = { rule_id: string; enabled: boolean; default: boolean; actions: unknown[]; pattern?: string };
    type Ruleset = Record<'override' | 'content' | 'room' | 'sender' | 'underride', Rule[]>;

    it("serves the spec's default ruleset", async () => {
      const all = await alice.client.get<{ global: Ruleset }>(`${v3}/pushrules`);
      expect(all.status).toBe(200);
      expect(all.body.global.override[0]?.rule_id).toBe('.m.rule.master');
      expect(all.body.global.underride.map((r) => r.rule_id)).toContain('.m.rule.message');
      const global = await alice.client.get<Ruleset>(rules);
      expect(global.body).toEqual(all.body.global);
      // The spec's own paths end with a slash (as matrix-js-sdk calls them): redirected to the routes.
      expect((await alice.client.get(`${v3}/pushrules/`)).body).toEqual(all.body);
      expect((await alice.client.get(`${v3}/pushrules/global/`)).body).toEqual(all.body.global);
      const raw = await fetch(`${runtime.httpUrl}${v3}/pushrules/?x=1`, { redirect: 'manual', headers: { authorization: `Bearer ${alice.accessToken}` } });
      expect({ status: raw.status, location: raw.headers.get('location') }).toEqual({ status: 308, location: `${v3}/pushrules?x=1` });
      const master = await alice.client.get<Rule>(`${rules}/override/.m.rule.master`);
      expect(master.body).toMatchObject({ rule_id: '.m.rule.master', default: true, enabled: false });
    });

    it('adds user rules in the order before/after ask for', async () => {
      const put = (id: string, query = '') => bob.client.put(`${rules}/content/${id}${query}`, { pattern: `${id}*`, actions: ['notify'] });
      expect((await put('cake')).status).toBe(200);
      expect((await put('pie')).status).toBe(200); // new rules go first among user rules
      expect((await put('tart', '?after=cake')).status).toBe(200);
      expect((await put('scone', '?before=pie')).status).toBe(200);
      const content = (await bob.client.get<Ruleset>(rules)).body.content;
      expect(content.map((r) => r.rule_id)).toEqual(['scone', 'pie', 'cake', 'tart']);
      expect(content.find((r) => r.rule_id === 'cake')).toEqual({ rule_id: 'cake', default: false, enabled: true, actions: ['notify'], pattern: 'cake*' });
      // Moving an existing rule keeps one copy of it.
      expect((await put('scone', '?after=tart')).status).toBe(200);
      expect((await bob.client.get<Ruleset>(rules)).body.content.map((r) => r.rule_id)).toEqual(['pie', 'cake', 'tart', 'scone']);
      // Alice's rules are untouched.
      expect((await alice.client.get<Ruleset>(rules)).body.content).toEqual([]);
    });

    it('reads and changes enabled and actions, of user and default rules', async () => {
      await bob.client.put(`${rules}/room/${u('!r:localhost')}`, { actions: ['dont_notify'] });
      expect((await bob.client.get(`${rules}/room/${u('!r:localhost')}/enabled`)).body).toEqual({ enabled: true });
      expect((await bob.client.put(`${rules}/room/${u('!r:localhost')}/enabled`, { enabled: false })).status).toBe(200);
      expect((await bob.client.get(`${rules}/room/${u('!r:localhost')}/enabled`)).body).toEqual({ enabled: false });
      expect((await bob.client.put(`${rules}/override/.m.rule.master/enabled`, { enabled: true })).status).toBe(200);
      expect((await bob.client.get(`${rules}/override/.m.rule.master`)).body).toMatchObject({ enabled: true, default: true });
      const actions = ['notify', { set_tweak: 'sound', value: 'bing' }];
      expect((await bob.client.put(`${rules}/underride/.m.rule.message/actions`, { actions })).status).toBe(200);
      expect((await bob.client.get(`${rules}/underride/.m.rule.message/actions`)).body).toEqual({ actions });
    });

    it('deletes user rules but not server-default ones', async () => {
      await alice.client.put(`${rules}/sender/${u(bob.userId)}`, { actions: [] });
      expect((await alice.client.delete(`${rules}/sender/${u(bob.userId)}`)).status).toBe(200);
      expectError(await alice.client.get(`${rules}/sender/${u(bob.userId)}`), 404, 'M_NOT_FOUND');
      expectError(await alice.client.delete(`${rules}/sender/${u(bob.userId)}`), 404, 'M_NOT_FOUND');
      expectError(await alice.client.delete(`${rules}/override/.m.rule.master`), 400, 'M_INVALID_PARAM');
      expect((await alice.client.get(`${rules}/override/.m.rule.master`)).status).toBe(200);
    });

    it('refuses bad rules', async () => {
      expectError(await alice.client.get(`${rules}/content/nosuchrule`), 404, 'M_NOT_FOUND');
      expectError(await alice.client.get(`${rules}/content/nosuchrule/actions`), 404, 'M_NOT_FOUND');
      expectError(await alice.client.put(`${rules}/content/nosuchrule/enabled`, { enabled: true }), 404, 'M_NOT_FOUND');
      expectError(await alice.client.put(`${rules}/content/.m.rule.mine`, { pattern: 'x', actions: [] }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(`${rules}/content/nopattern`, { actions: ['notify'] }), 400, 'M_MISSING_PARAM');
      expectError(await alice.client.put(`${rules}/override/noactions`, { conditions: [] }), 400, 'M_MISSING_PARAM');
      expectError(await alice.client.put(`${rules}/override/badaction`, { actions: ['explode'] }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(`${rules}/override/anchored?before=nosuchrule`, { actions: [] }), 400, 'M_UNKNOWN');
      expectError(await alice.client.put(`${rules}/override/anchored?after=.m.rule.master`, { actions: [] }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(`${rules}/bogus/rule`, { actions: [] }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(`${rules}/override/.m.rule.master/enabled`, { enabled: 'yes' }), 400, 'M_BAD_JSON');
      const override = (await alice.client.get<Ruleset>(rules)).body.override;
      expect(override.filter((r) => !r.default)).toEqual([]);
    });
  });
});
