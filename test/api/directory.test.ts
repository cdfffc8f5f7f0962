// The room directory through the HTTP API: aliases (create, resolve, list, delete, with their
// permissions), a room's visibility in the published directory, and paging and searching
// /publicRooms. Writes go through the rooms depot (directory commands in the rooms topology).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { listPublicRooms, MAX_PUBLIC_ROOMS_SCANNED } from '../../lib/matrix/directory/public-rooms.ts';
import { roomAliases, roomLocalAliases } from '../../lib/matrix/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;
const aliasPath = (alias: string) => `${v3}/directory/room/${u(alias)}`;
const listPath = (roomId: string) => `${v3}/directory/list/room/${u(roomId)}`;

interface Chunk {
  room_id: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule?: string;
}
interface Page {
  chunk: Chunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate?: number;
}

async function createRoom(client: TestClient, body: Record<string, unknown>): Promise<string> {
  const res = await client.post<{ room_id: string }>(`${v3}/createRoom`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.room_id;
}

describe('room directory', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let anonymous: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('directory');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  describe('aliases', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = await createRoom(alice.client, { preset: 'public_chat', room_alias_name: 'lobby', name: 'Lobby' });
    });

    it("resolves and lists the alias createRoom's room_alias_name made", async () => {
      const res = await anonymous.get<{ room_id: string; servers: string[] }>(aliasPath('#lobby:localhost'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ room_id: roomId, servers: ['localhost'] });
      const listed = await alice.client.get<{ aliases: string[] }>(`${v3}/rooms/${u(roomId)}/aliases`);
      expect(listed.body).toEqual({ aliases: ['#lobby:localhost'] });
    });

    it('creates an alias for a member, once', async () => {
      expect((await alice.client.put(aliasPath('#lobby-two:localhost'), { room_id: roomId })).status).toBe(200);
      expect((await anonymous.get(aliasPath('#lobby-two:localhost'))).body).toMatchObject({ room_id: roomId });
      const listed = await alice.client.get<{ aliases: string[] }>(`${v3}/rooms/${u(roomId)}/aliases`);
      expect(listed.body.aliases.sort()).toEqual(['#lobby-two:localhost', '#lobby:localhost']);

      const other = await createRoom(bob.client, { preset: 'private_chat' });
      expectError(await bob.client.put(aliasPath('#lobby-two:localhost'), { room_id: other }), 409, 'M_UNKNOWN');
      expectError(await alice.client.put(aliasPath('#lobby:localhost'), { room_id: roomId }), 409, 'M_UNKNOWN');
      expect(await roomLocalAliases.key(other).count({ consistent: true })).toBe(0);
    });

    it('gives a contested alias to exactly one of two rooms claiming it at once', async () => {
      const [one, two] = await Promise.all([createRoom(alice.client, {}), createRoom(alice.client, {})]);
      const claims = await Promise.all([one, two].map((room_id) => alice.client.put(aliasPath('#contested:localhost'), { room_id })));
      expect(claims.map((c) => c.status).sort()).toEqual([200, 409]);
      const winner = claims[0]!.status === 200 ? one : two;
      const loser = winner === one ? two : one;
      expect((await anonymous.get(aliasPath('#contested:localhost'))).body).toMatchObject({ room_id: winner });
      expect(await roomLocalAliases.key(winner!).count({ consistent: true })).toBe(1);
      expect(await roomLocalAliases.key(loser!).count({ consistent: true })).toBe(0);
    });

    it('refuses aliases of non-members, of other servers, and malformed input; writes nothing', async () => {
      expectError(await carol.client.put(aliasPath('#carols:localhost'), { room_id: roomId }), 403, 'M_FORBIDDEN');
      expectError(await anonymous.get(aliasPath('#carols:localhost')), 404, 'M_NOT_FOUND');
      expect(await roomAliases.key('#carols:localhost').get({ consistent: true })).toBeUndefined();

      expectError(await alice.client.put(aliasPath('#elsewhere:example.org'), { room_id: roomId }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(aliasPath('no-sigil:localhost'), { room_id: roomId }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(aliasPath('#missing:localhost'), {}), 400, 'M_MISSING_PARAM');
      expectError(await alice.client.put(aliasPath('#missing:localhost'), { room_id: 42 }), 400, 'M_BAD_JSON');
      expectError(await alice.client.put(aliasPath('#missing:localhost'), { room_id: 'not-a-room' }), 400, 'M_INVALID_PARAM');
      expectError(await alice.client.put(aliasPath('#missing:localhost'), { room_id: '!nosuchroom:localhost' }), 404, 'M_NOT_FOUND');
      expectError(await alice.client.put(aliasPath('#missing:localhost'), undefined, { rawBody: '{' }), 400, 'M_NOT_JSON');
      expectError(await anonymous.get(aliasPath('#missing:localhost')), 404, 'M_NOT_FOUND');
      expectError(await anonymous.get(aliasPath('not-an-alias')), 400, 'M_INVALID_PARAM');
      expectError(await new TestClient(runtime.httpUrl).put(aliasPath('#x:localhost'), { room_id: roomId }), 401, 'M_MISSING_TOKEN');
    });

    it('lets the creator or a room admin delete an alias, nobody else', async () => {
      expect((await bob.client.post(`${v3}/join/${u(roomId)}`, {})).status).toBe(200);
      expect((await bob.client.put(aliasPath('#bobs:localhost'), { room_id: roomId })).status).toBe(200);
      // Bob (power 0) may not delete alice's alias, but may delete his own.
      expectError(await bob.client.delete(aliasPath('#lobby-two:localhost')), 403, 'M_FORBIDDEN');
      expect((await anonymous.get(aliasPath('#lobby-two:localhost'))).status).toBe(200);
      expect((await bob.client.delete(aliasPath('#bobs:localhost'))).status).toBe(200);
      expectError(await anonymous.get(aliasPath('#bobs:localhost')), 404, 'M_NOT_FOUND');
      // Alice (power 100) may delete an alias someone else made.
      expect((await bob.client.put(aliasPath('#bobs-again:localhost'), { room_id: roomId })).status).toBe(200);
      expect((await alice.client.delete(aliasPath('#bobs-again:localhost'))).status).toBe(200);
      expect((await alice.client.delete(aliasPath('#lobby-two:localhost'))).status).toBe(200);
      expect((await alice.client.get<{ aliases: string[] }>(`${v3}/rooms/${u(roomId)}/aliases`)).body).toEqual({ aliases: ['#lobby:localhost'] });
      expectError(await alice.client.delete(aliasPath('#lobby-two:localhost')), 404, 'M_NOT_FOUND');
      expectError(await alice.client.delete(aliasPath('#elsewhere:example.org')), 400, 'M_INVALID_PARAM');
    });

    // Complement's "m.room.canonical_alias accepts/rejects ..." and "Can delete canonical alias", as Synapse answers
    it('m.room.canonical_alias names only aliases of this room; deleting one re-sends the event without it', async () => {
      const room = await createRoom(alice.client, { preset: 'public_chat' });
      const other = await createRoom(alice.client, {});
      const canonical = `${v3}/rooms/${u(room)}/state/m.room.canonical_alias`;
      const set = (content: Record<string, unknown>) => alice.client.put<{ event_id: string }>(canonical, content);
      expect((await alice.client.put(aliasPath('#canon:localhost'), { room_id: room })).status).toBe(200);
      expect((await alice.client.put(aliasPath('#canon-alt:localhost'), { room_id: room })).status).toBe(200);
      expect((await alice.client.put(aliasPath('#canon-other:localhost'), { room_id: other })).status).toBe(200);

      expectError(await set({ alias: '#canon-missing:localhost' }), 400, 'M_BAD_ALIAS');
      expectError(await set({ alias: '#canon-other:localhost' }), 400, 'M_BAD_ALIAS');
      expectError(await set({ alias: '%invalid_aliases:localhost' }), 400, 'M_INVALID_PARAM');
      expectError(await set({ alias: 5 }), 400, 'M_INVALID_PARAM');
      expectError(await set({ alias: '#canon:localhost', alt_aliases: ['#canon-missing:localhost'] }), 400, 'M_BAD_ALIAS');
      expectError(await set({ alias: '#canon:localhost', alt_aliases: ['#canon-other:localhost'] }), 400, 'M_BAD_ALIAS');
      expectError(await set({ alias: '#canon:localhost', alt_aliases: ['%invalid:localhost'] }), 400, 'M_INVALID_PARAM');
      expectError(await set({ alias: '#canon:localhost', alt_aliases: '#canon-alt:localhost' }), 400, 'M_INVALID_PARAM');
      // a member without the power is refused for that first
      expect((await bob.client.post(`${v3}/join/${u(room)}`, {})).status).toBe(200);
      expectError(await bob.client.put(canonical, { alias: '#canon-missing:localhost' }), 403, 'M_FORBIDDEN');

      expect((await set({ alias: '#canon:localhost', alt_aliases: ['#canon-alt:localhost'] })).status).toBe(200);
      expect((await set({})).status).toBe(200);
      expect((await set({ alias: '#canon:localhost', alt_aliases: ['#canon-alt:localhost'] })).status).toBe(200);
      const state = async () => (await alice.client.get<Record<string, unknown>>(canonical)).body;

      // deleting the alt alias: the event keeps the main alias; an alias already there is not checked again
      expect((await alice.client.delete(aliasPath('#canon-alt:localhost'))).status).toBe(200);
      expect(await state()).toEqual({ alias: '#canon:localhost' });
      expect((await alice.client.put(aliasPath('#canon-alt:localhost'), { room_id: room })).status).toBe(200);
      expect((await set({ alias: '#canon:localhost', alt_aliases: ['#canon-alt:localhost'] })).status).toBe(200);
      expect((await alice.client.delete(aliasPath('#canon:localhost'))).status).toBe(200);
      expect(await state()).toEqual({ alt_aliases: ['#canon-alt:localhost'] });
      expect((await set({ alt_aliases: ['#canon-alt:localhost'], name: 'kept' })).status).toBe(200);
      // the alias creator without the power to send the event still deletes the alias; the event stays
      expect((await bob.client.put(aliasPath('#canon-bob:localhost'), { room_id: room })).status).toBe(200);
      expect((await set({ alt_aliases: ['#canon-alt:localhost', '#canon-bob:localhost'] })).status).toBe(200);
      expect((await bob.client.delete(aliasPath('#canon-bob:localhost'))).status).toBe(200);
      expectError(await anonymous.get(aliasPath('#canon-bob:localhost')), 404, 'M_NOT_FOUND');
      expect(await state()).toEqual({ alt_aliases: ['#canon-alt:localhost', '#canon-bob:localhost'] });
      expect((await alice.client.delete(aliasPath('#canon-alt:localhost'))).status).toBe(200);
      expect(await state()).toEqual({ alt_aliases: ['#canon-bob:localhost'] });
    });

    it('lists aliases to members only, unless the room is world-readable', async () => {
      const aliases = `${v3}/rooms/${u(roomId)}/aliases`;
      expectError(await carol.client.get(aliases), 403, 'M_FORBIDDEN');
      expectError(await carol.client.get(`${v3}/rooms/${u('!nosuchroom:localhost')}/aliases`), 403, 'M_FORBIDDEN');
      expectError(await carol.client.get(`${v3}/rooms/not-a-room/aliases`), 400, 'M_INVALID_PARAM');
      const readable = await alice.client.put(`${v3}/rooms/${u(roomId)}/state/m.room.history_visibility`, { history_visibility: 'world_readable' });
      expect(readable.status).toBe(200);
      expect((await carol.client.get(aliases)).body).toEqual({ aliases: ['#lobby:localhost'] });
    });
  });

  describe('visibility and /publicRooms', () => {
    const prefix = 'Dirtest';
    const rooms: string[] = [];
    let privateRoom: string;
    beforeAll(async () => {
      for (let i = 0; i < 5; i++) {
        rooms.push(
          await createRoom(alice.client, {
            preset: 'public_chat',
            visibility: 'public',
            name: `${prefix} room ${i}`,
            topic: i === 3 ? 'All about Gardening' : `topic ${i}`,
            ...(i === 4 ? { room_alias_name: 'searchable-alias' } : {}),
          }),
        );
      }
      privateRoom = await createRoom(alice.client, { preset: 'private_chat', name: `${prefix} hidden` });
    });

    it("reports a room's visibility and lets a room admin change it", async () => {
      expect((await anonymous.get(listPath(rooms[0]!))).body).toEqual({ visibility: 'public' });
      expect((await anonymous.get(listPath(privateRoom))).body).toEqual({ visibility: 'private' });
      expect((await alice.client.put(listPath(privateRoom), { visibility: 'public' })).status).toBe(200);
      expect((await anonymous.get(listPath(privateRoom))).body).toEqual({ visibility: 'public' });
      expect((await alice.client.put(listPath(privateRoom), { visibility: 'private' })).status).toBe(200);
      expect((await anonymous.get(listPath(privateRoom))).body).toEqual({ visibility: 'private' });
      // Published twice or hidden twice: no change, no error.
      expect((await alice.client.put(listPath(privateRoom), { visibility: 'private' })).status).toBe(200);
    });

    it('refuses visibility changes by others, of unknown rooms, and bad bodies', async () => {
      expect((await bob.client.post(`${v3}/join/${u(rooms[1]!)}`, {})).status).toBe(200);
      expectError(await bob.client.put(listPath(rooms[1]!), { visibility: 'private' }), 403, 'M_FORBIDDEN');
      expectError(await carol.client.put(listPath(privateRoom), { visibility: 'public' }), 403, 'M_FORBIDDEN');
      expect((await anonymous.get(listPath(rooms[1]!))).body).toEqual({ visibility: 'public' });
      expect((await anonymous.get(listPath(privateRoom))).body).toEqual({ visibility: 'private' });
      expectError(await anonymous.get(listPath('!nosuchroom:localhost')), 404, 'M_NOT_FOUND');
      expectError(await alice.client.put(listPath('!nosuchroom:localhost'), { visibility: 'public' }), 404, 'M_NOT_FOUND');
      expectError(await alice.client.put(listPath(privateRoom), { visibility: 'secret' }), 400, 'M_BAD_JSON');
      expectError(await new TestClient(runtime.httpUrl).put(listPath(privateRoom), { visibility: 'public' }), 401, 'M_MISSING_TOKEN');
    });

    it('describes each published room with the chunk fields', async () => {
      const page = await anonymous.get<Page>(`${v3}/publicRooms`);
      expect(page.status).toBe(200);
      const chunk = page.body.chunk.find((c) => c.room_id === rooms[4]);
      expect(chunk).toEqual({
        room_id: rooms[4],
        name: `${prefix} room 4`,
        topic: 'topic 4',
        canonical_alias: '#searchable-alias:localhost',
        num_joined_members: 1,
        world_readable: false,
        guest_can_join: false,
        join_rule: 'public',
      });
      expect(page.body.chunk.map((c) => c.room_id)).not.toContain(privateRoom);
      expect(page.body.total_room_count_estimate).toBe(page.body.chunk.length);
    });

    it('pages forwards with next_batch and back with prev_batch', async () => {
      const seen: string[] = [];
      const pages: Page[] = [];
      let since: string | undefined;
      do {
        const res = await anonymous.get<Page>(`${v3}/publicRooms?limit=2${since ? `&since=${u(since)}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.chunk.length).toBeLessThanOrEqual(2);
        pages.push(res.body);
        seen.push(...res.body.chunk.map((c) => c.room_id));
        since = res.body.next_batch;
      } while (since && pages.length < 20);
      const total = pages[0]!.total_room_count_estimate!;
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      for (const roomId of rooms) expect(seen).toContain(roomId);
      expect(pages[0]!.prev_batch).toBeUndefined();
      expect(pages.at(-1)!.next_batch).toBeUndefined();

      const back = await anonymous.get<Page>(`${v3}/publicRooms?limit=2&since=${u(pages[1]!.prev_batch!)}`);
      expect(back.body.chunk.map((c) => c.room_id)).toEqual(pages[0]!.chunk.map((c) => c.room_id));
      expect(back.body.prev_batch).toBeUndefined();
    });

    it('searches name, topic and alias case-insensitively', async () => {
      const search = (term: string, extra: Record<string, unknown> = {}) =>
        alice.client.post<Page>(`${v3}/publicRooms`, { filter: { generic_search_term: term }, ...extra });
      expect((await search('gardening')).body.chunk.map((c) => c.room_id)).toEqual([rooms[3]]);
      expect((await search('SEARCHABLE-alias')).body.chunk.map((c) => c.room_id)).toEqual([rooms[4]]);
      const byName = await search(prefix.toLowerCase());
      expect(byName.body.chunk.map((c) => c.room_id).sort()).toEqual([...rooms].sort());

      const first = await search(prefix, { limit: 3 });
      expect(first.body.chunk).toHaveLength(3);
      const rest = await search(prefix, { limit: 3, since: first.body.next_batch });
      expect([...first.body.chunk, ...rest.body.chunk].map((c) => c.room_id).sort()).toEqual([...rooms].sort());
      expect(rest.body.next_batch).toBeUndefined();
      expect((await search('no room is called this')).body.chunk).toEqual([]);
      expect((await alice.client.post<Page>(`${v3}/publicRooms`, { filter: { room_types: ['m.space'] } })).body.chunk).toEqual([]);
    });

    it('looks at a bounded number of rooms per request; the token goes on after the last one looked at', async () => {
      expect(MAX_PUBLIC_ROOMS_SCANNED).toBe(1000);
      const walk = async (searchTerm: string) => {
        const pages: Awaited<ReturnType<typeof listPublicRooms>>[] = [];
        let since: string | undefined;
        do {
          pages.push(await listPublicRooms({ searchTerm, scanBudget: 2, ...(since ? { since } : {}) }));
          since = pages.at(-1)!.next_batch;
        } while (since && pages.length < 50);
        return pages;
      };
      // Nothing matches: every page is empty, yet a token leads on until the directory is read once.
      const none = await walk('no room is called this');
      const total = none[0]!.total_room_count_estimate;
      expect(none.every((p) => p.chunk.length === 0)).toBe(true);
      expect(none).toHaveLength(Math.ceil(total / 2));
      expect(none.at(-1)!.next_batch).toBeUndefined();
      // Every room of the prefix is found once across the short pages.
      const all = (await walk(prefix)).flatMap((p) => p.chunk.map((c) => c.room_id));
      expect(all.sort()).toEqual([...rooms].sort());
    });

    it('refuses bad /publicRooms requests', async () => {
      expectError(await new TestClient(runtime.httpUrl).post(`${v3}/publicRooms`, {}), 401, 'M_MISSING_TOKEN');
      expectError(await alice.client.post(`${v3}/publicRooms`, { limit: 'ten' }), 400, 'M_BAD_JSON');
      expectError(await alice.client.post(`${v3}/publicRooms`, { since: 'garbage' }), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.get(`${v3}/publicRooms?limit=-1`), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.get(`${v3}/publicRooms?since=garbage`), 400, 'M_INVALID_PARAM');
      expectError(await anonymous.get(`${v3}/publicRooms?server=example.org`), 400, 'M_INVALID_PARAM');
    });

    it('drops a room from the list when it is unpublished', async () => {
      expect((await alice.client.put(listPath(rooms[0]!), { visibility: 'private' })).status).toBe(200);
      const page = await anonymous.get<Page>(`${v3}/publicRooms`);
      expect(page.body.chunk.map((c) => c.room_id)).not.toContain(rooms[0]);
      expect(page.body.total_room_count_estimate).toBe(page.body.chunk.length);
    });
  });
});
