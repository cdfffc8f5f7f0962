// User directory search: whom a user may find (room-mates and members of published rooms, never
// strangers), matching on user id and display name, the limit, and /thirdparty/protocols.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

interface SearchBody {
  results: { user_id: string; display_name?: string }[];
  limited: boolean;
}

describe('user directory', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let stranger: RegisteredUser;
  let publicMember: RegisteredUser;
  const tag = uniqueLocalpart('dir').replace(/[^a-z0-9]/g, '');

  async function createRoom(client: TestClient, body: Record<string, unknown>): Promise<string> {
    const res = await client.post<{ room_id: string }>(`${v3}/createRoom`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.room_id;
  }

  async function search(user: RegisteredUser, term: string, limit?: number): Promise<SearchBody> {
    const res = await user.client.post<SearchBody>(`${v3}/user_directory/search`, { search_term: term, ...(limit !== undefined ? { limit } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime('user-directory');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol, stranger, publicMember] = await Promise.all(
      ['alice', 'bob', 'carol', 'stranger', 'pub'].map((name) => registerUser(anonymous, uniqueLocalpart(`${tag}${name}`))),
    ) as [RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser];
    expect((await bob.client.put(`${v3}/profile/${u(bob.userId)}/displayname`, { displayname: 'Bobby Tables' })).status).toBe(200);
    // alice and bob share a private room; carol is only invited (not joined); publicMember is in a published room.
    const shared = await createRoom(alice.client, { preset: 'private_chat', invite: [bob.userId, carol.userId] });
    expect((await bob.client.post(`${v3}/join/${u(shared)}`, {})).status).toBe(200);
    const published = await createRoom(publicMember.client, { preset: 'public_chat', visibility: 'public' });
    expect(published).toMatch(/^!/);
  });
  afterAll(() => runtime?.stop());

  it('finds a room-mate by display name, case-insensitively, with the profile', async () => {
    const body = await search(alice, 'bobby TABLES');
    expect(body).toEqual({ results: [{ user_id: bob.userId, display_name: 'Bobby Tables' }], limited: false });
  });

  it('finds a room-mate by user id', async () => {
    const body = await search(bob, alice.userId.slice(1, 12));
    expect(body.results.map((r) => r.user_id)).toEqual([alice.userId]);
  });

  it('finds members of published rooms without sharing a room', async () => {
    const body = await search(stranger, `${tag}pub`);
    expect(body.results.map((r) => r.user_id)).toEqual([publicMember.userId]);
  });

  it('never finds a user who shares no room and is in no public room', async () => {
    expect((await search(alice, `${tag}stranger`)).results).toEqual([]);
    // An invite is not a shared room: carol has not joined.
    expect((await search(alice, `${tag}carol`)).results).toEqual([]);
    expect((await search(stranger, `${tag}bob`)).results).toEqual([]);
  });

  it('cuts the results at the limit and says so', async () => {
    const all = await search(alice, tag);
    expect(all.results.map((r) => r.user_id).sort()).toEqual([alice.userId, bob.userId, publicMember.userId].sort());
    const one = await search(alice, tag, 1);
    expect(one.results).toHaveLength(1);
    expect(one.limited).toBe(true);
  });

  it('refuses bad requests', async () => {
    expectError(await alice.client.post(`${v3}/user_directory/search`, {}), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.post(`${v3}/user_directory/search`, { search_term: 5 }), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/user_directory/search`, { search_term: 'a', limit: 'x' }), 400, 'M_BAD_JSON');
    expectError(await new TestClient(runtime.httpUrl).post(`${v3}/user_directory/search`, { search_term: 'a' }), 401, 'M_MISSING_TOKEN');
  });

  it('lists no third-party protocols', async () => {
    // Plain fetch: the shared spec copy lacks application-service/definitions/protocol_base.yaml,
    // which the response schema references, so the spec validator cannot compile it. `{}` is the
    // empty map the schema allows (additionalProperties only).
    const res = await fetch(`${runtime.httpUrl}${v3}/thirdparty/protocols`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expectError(await new TestClient(runtime.httpUrl).get(`${v3}/thirdparty/protocols`), 401, 'M_MISSING_TOKEN');
  });
});
