// Room summaries and space hierarchies: what a requester may see of rooms they are not in, the
// depth-first walk of m.space.child in the spec's order, suggested_only, max_depth and pagination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path } from './rooms-support.ts';

const v1 = '/_matrix/client/v1';
const u = encodeURIComponent;
type Chunk = { room_id: string; children_state: { state_key: string; origin_server_ts: number }[]; room_type?: string };
type Hierarchy = { rooms: Chunk[]; next_batch?: string };

describe('spaces', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let space: string;
  let a: string;
  let b: string;
  let c: string;
  let d: string;
  let encrypted: string;
  const hierarchy = (roomId: string, query = '') => `${v1}/rooms/${u(roomId)}/hierarchy${query ? `?${query}` : ''}`;
  const summary = (roomIdOrAlias: string) => `${v1}/room_summary/${u(roomIdOrAlias)}`;

  beforeAll(async () => {
    runtime = await startTestRuntime('spaces');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    space = await createRoom(alice.client, { preset: 'public_chat', name: 'The Space', room_alias_name: 'space', creation_content: { type: 'm.space' } });
    [a, b, c, d] = await Promise.all([
      createRoom(alice.client, { preset: 'public_chat', name: 'A', creation_content: { type: 'm.space' } }),
      createRoom(alice.client, { preset: 'private_chat', name: 'B (invite only)' }),
      createRoom(alice.client, { preset: 'public_chat', name: 'C' }),
      createRoom(alice.client, { preset: 'public_chat', name: 'D' }),
    ]);
    encrypted = await createRoom(alice.client, { preset: 'private_chat', initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
    const child = (parent: string, childId: string, content: Record<string, unknown>) =>
      alice.client.put(path.room(parent, `state/m.space.child/${u(childId)}`), content);
    for (const res of [
      await child(space, a, { via: ['localhost'], order: 'b', suggested: true }),
      await child(space, b, { via: ['localhost'] }),
      await child(space, c, { via: ['localhost'], order: 'a' }),
      // No via: not a child at all.
      await child(space, encrypted, { via: [] }),
      await child(a, d, { via: ['localhost'] }),
      // C is not a space: its child link is neither listed nor followed (Synapse).
      await child(c, d, { via: ['localhost'] }),
    ]) expect(res.status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  describe('room summary', () => {
    it('summarises a room by id or alias, with the requester membership', async () => {
      const res = await alice.client.get<Record<string, unknown>>(summary(space));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ room_id: space, name: 'The Space', room_type: 'm.space', join_rule: 'public', num_joined_members: 1, room_version: '11', membership: 'join' });
      expect((await alice.client.get<Record<string, unknown>>(summary('#space:localhost'))).body.room_id).toBe(space);
      expect((await bob.client.get<Record<string, unknown>>(summary(space))).body.membership).toBe('leave');
      const anon = await anonymous.get<Record<string, unknown>>(summary(space));
      expect(anon.status).toBe(200);
      expect(anon.body.membership).toBeUndefined();
      expect((await alice.client.get<Record<string, unknown>>(summary(encrypted))).body.encryption).toBe('m.megolm.v1.aes-sha2');
    });

    it('hides rooms the requester may not see, and answers unknown ones alike', async () => {
      expectError(await bob.client.get(summary(b)), 404, 'M_NOT_FOUND');
      expectError(await anonymous.get(summary(b)), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(summary('!unknown:localhost')), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(summary('#unknown:localhost')), 404, 'M_NOT_FOUND');
      expectError(await bob.client.get(summary('neither')), 400, 'M_INVALID_PARAM');
      expectError(await new TestClient(runtime.httpUrl, 'bad-token').get(summary(space)), 401, 'M_UNKNOWN_TOKEN');
    });
  });

  describe('hierarchy', () => {
    it('walks the space depth first in child order, skipping rooms the user may not see', async () => {
      const res = await bob.client.get<Hierarchy>(hierarchy(space));
      expect(res.status).toBe(200);
      expect(res.body.rooms.map((r) => r.room_id)).toEqual([space, c, a, d]);
      expect(res.body.next_batch).toBeUndefined();
      const root = res.body.rooms[0]!;
      expect(root.room_type).toBe('m.space');
      expect(root.children_state.map((e) => e.state_key).sort()).toEqual([a, b, c].sort());
      expect(root.children_state.every((e) => e.origin_server_ts > 0)).toBe(true);
      // Alice may see the invite-only room: it comes last (no order).
      expect((await alice.client.get<Hierarchy>(hierarchy(space))).body.rooms.map((r) => r.room_id)).toEqual([space, c, a, d, b]);
    });

    it("lists and follows the children of spaces only (Complement: TestClientSpacesSummary's R2 -> R5 link)", async () => {
      const rooms = (await bob.client.get<Hierarchy>(hierarchy(space))).body.rooms;
      expect(rooms.find((r) => r.room_id === c)?.children_state).toEqual([]);
      expect(rooms.find((r) => r.room_id === a)?.children_state.map((e) => e.state_key)).toEqual([d]);
    });

    // Complement tests/room_hierarchy_test.go TestClientSpacesSummary "redact link": a child link
    // replaced by empty content, or redacted, no longer links its room.
    it('drops a child whose m.space.child was emptied or redacted', async () => {
      const sub = await createRoom(alice.client, { preset: 'public_chat', name: 'Sub', creation_content: { type: 'm.space' } });
      const [x, y] = await Promise.all([createRoom(alice.client, { preset: 'public_chat', name: 'X' }), createRoom(alice.client, { preset: 'public_chat', name: 'Y' })]);
      const link = (childId: string, content: Record<string, unknown>) => alice.client.put<{ event_id: string }>(path.room(sub, `state/m.space.child/${u(childId)}`), content);
      const yLink = await link(y, { via: ['localhost'] });
      expect((await link(x, { via: ['localhost'] })).status).toBe(200);
      expect(yLink.status).toBe(200);
      expect((await alice.client.get<Hierarchy>(hierarchy(sub))).body.rooms.map((r) => r.room_id).sort()).toEqual([sub, x, y].sort());

      expect((await link(x, {})).status).toBe(200);
      const redact = await alice.client.put(path.room(sub, `redact/${u(yLink.body.event_id)}/unlink-y`), {});
      expect(redact.status).toBe(200);
      const after = (await alice.client.get<Hierarchy>(hierarchy(sub))).body.rooms;
      expect(after.map((r) => r.room_id)).toEqual([sub]);
      expect(after[0]!.children_state).toEqual([]);
    });

    it('honours suggested_only and max_depth', async () => {
      expect((await bob.client.get<Hierarchy>(hierarchy(space, 'suggested_only=true'))).body.rooms.map((r) => r.room_id)).toEqual([space, a]);
      expect((await bob.client.get<Hierarchy>(hierarchy(space, 'max_depth=1'))).body.rooms.map((r) => r.room_id)).toEqual([space, c, a]);
      expect((await bob.client.get<Hierarchy>(hierarchy(space, 'max_depth=0'))).body.rooms.map((r) => r.room_id)).toEqual([space]);
    });

    it('paginates with a token bound to the first request', async () => {
      const first = await alice.client.get<Hierarchy>(hierarchy(space, 'limit=3'));
      expect(first.body.rooms.map((r) => r.room_id)).toEqual([space, c, a]);
      expect(first.body.next_batch).toBeTruthy();
      const second = await alice.client.get<Hierarchy>(hierarchy(space, `limit=3&from=${u(first.body.next_batch!)}`));
      expect(second.body.rooms.map((r) => r.room_id)).toEqual([d, b]);
      expect(second.body.next_batch).toBeUndefined();
      expectError(await alice.client.get(hierarchy(space, `limit=3&max_depth=1&from=${u(first.body.next_batch!)}`)), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.get(hierarchy(a, `from=${u(first.body.next_batch!)}`)), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.get(hierarchy(space, 'from=garbage')), 400, 'M_INVALID_PARAM');
    });

    it('refuses rooms the user cannot see, bad parameters and missing tokens', async () => {
      expectError(await bob.client.get(hierarchy(b)), 403, 'M_FORBIDDEN');
      expectError(await bob.client.get(hierarchy('!unknown:localhost')), 403, 'M_FORBIDDEN');
      expectError(await bob.client.get(hierarchy(space, 'limit=0')), 400, 'M_INVALID_PARAM');
      expectError(await bob.client.get(hierarchy(space, 'max_depth=-1')), 400, 'M_INVALID_PARAM');
      expectError(await bob.client.get(hierarchy(space, 'suggested_only=maybe')), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.get(hierarchy(space)), 401, 'M_MISSING_TOKEN');
    });
  });
});
