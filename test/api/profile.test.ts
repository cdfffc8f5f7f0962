// Profiles through the HTTP API, and profile changes and deactivations reaching the user's rooms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { memberRooms, roomState, users } from '../../lib/matrix/pstates.ts';
import { stateKeyOf } from '../../lib/matrix/room-state.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';
const profilePath = (userId: string, key?: string) => `${v3}/profile/${encodeURIComponent(userId)}${key ? `/${encodeURIComponent(key)}` : ''}`;

/** Polls until `read` gives a value `done` accepts (room updates are applied after the response). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('profiles', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('profile');
    anon = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anon), registerUser(anon)]);
  });
  afterAll(() => runtime?.stop());

  it('reads a profile and its fields; unknown users and unset fields are 404', async () => {
    const localpart = alice.userId.slice(1).split(':')[0]!;
    expect((await anon.get(profilePath(alice.userId))).body).toEqual({ displayname: localpart });
    expect((await anon.get(profilePath(alice.userId, 'displayname'))).body).toEqual({ displayname: localpart });
    expectError(await anon.get(profilePath(alice.userId, 'avatar_url')), 404, 'M_NOT_FOUND');
    expectError(await anon.get(profilePath(alice.userId, 'm.tz')), 404, 'M_NOT_FOUND');
    expectError(await anon.get(profilePath('@nobody:localhost')), 404, 'M_NOT_FOUND');
    expectError(await anon.get(profilePath('@nobody:localhost', 'displayname')), 404, 'M_NOT_FOUND');
    expectError(await anon.get(profilePath('not-a-user-id')), 400, 'M_INVALID_PARAM');
  });

  it('lets a user set, clear and delete their display name and avatar', async () => {
    expect((await alice.client.put(profilePath(alice.userId, 'displayname'), { displayname: 'Alice A.' })).body).toEqual({});
    expect((await alice.client.put(profilePath(alice.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/abc123' })).status).toBe(200);
    expect((await anon.get(profilePath(alice.userId))).body).toEqual({ displayname: 'Alice A.', avatar_url: 'mxc://localhost/abc123' });
    expect((await anon.get(profilePath(alice.userId, 'avatar_url'))).body).toEqual({ avatar_url: 'mxc://localhost/abc123' });

    // Not only mxc:// URIs: Synapse stores any string (bridges set http(s) avatars).
    expect((await alice.client.put(profilePath(alice.userId, 'avatar_url'), { avatar_url: 'https://example.com/a.png' })).status).toBe(200);
    expect((await anon.get(profilePath(alice.userId, 'avatar_url'))).body).toEqual({ avatar_url: 'https://example.com/a.png' });
    expect((await alice.client.put(profilePath(alice.userId, 'avatar_url'), { avatar_url: null })).status).toBe(200);
    expectError(await anon.get(profilePath(alice.userId, 'avatar_url')), 404, 'M_NOT_FOUND');
    expect((await alice.client.delete(profilePath(alice.userId, 'displayname'))).status).toBe(200);
    expect((await anon.get(profilePath(alice.userId))).body).toEqual({});
    expect((await alice.client.put(profilePath(alice.userId, 'displayname'), { displayname: 'Alice' })).status).toBe(200);
  });

  it('refuses changes to another user, unsupported or malformed keys and bad values, changing nothing', async () => {
    const before = await users.key(alice.userId).get({ consistent: true });
    expectError(await bob.client.put(profilePath(alice.userId, 'displayname'), { displayname: 'Mallory' }), 403, 'M_FORBIDDEN');
    expectError(await bob.client.delete(profilePath(alice.userId, 'displayname')), 403, 'M_FORBIDDEN');
    expectError(await anon.put(profilePath(alice.userId, 'displayname'), { displayname: 'x' }), 401, 'M_MISSING_TOKEN');
    expectError(await alice.client.put(profilePath(alice.userId, 'm.tz'), { 'm.tz': 'Europe/Paris' }), 403, 'M_FORBIDDEN');
    expectError(await alice.client.put(profilePath(alice.userId, 'Bad Key'), { 'Bad Key': 1 }, { unchecked: true }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.put(profilePath(alice.userId, 'displayname'), { other: 'x' }), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.put(profilePath(alice.userId, 'displayname'), { displayname: 12 }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(profilePath(alice.userId, 'displayname'), { displayname: 'x'.repeat(257) }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.request('PUT', profilePath(alice.userId, 'displayname'), undefined, { rawBody: 'nope' }), 400, 'M_NOT_JSON');
    expect(await users.key(alice.userId).get({ consistent: true })).toEqual(before);
  });

  it('limits profile changes, each re-sent to every joined room (Synapse: rc_message): 429 and nothing changed', async () => {
    const previous = process.env.AXON_RATE_LIMIT_PROFILE;
    process.env.AXON_RATE_LIMIT_PROFILE = '2/6000';
    try {
      const carol = await registerUser(anon);
      for (const name of ['C1', 'C2']) expect((await carol.client.put(profilePath(carol.userId, 'displayname'), { displayname: name })).status).toBe(200);
      const refused = await carol.client.put(profilePath(carol.userId, 'displayname'), { displayname: 'C3' });
      expectError(refused, 429, 'M_LIMIT_EXCEEDED');
      expect((refused.body as { retry_after_ms?: number }).retry_after_ms).toBeGreaterThan(0);
      expectError(await carol.client.delete(profilePath(carol.userId, 'displayname')), 429, 'M_LIMIT_EXCEEDED');
      expect((await anon.get(profilePath(carol.userId, 'displayname'))).body).toEqual({ displayname: 'C2' });
      // Another user's budget is their own.
      expect((await bob.client.put(profilePath(bob.userId, 'displayname'), { displayname: 'Bob' })).status).toBe(200);
    } finally {
      if (previous === undefined) delete process.env.AXON_RATE_LIMIT_PROFILE;
      else process.env.AXON_RATE_LIMIT_PROFILE = previous;
    }
  });

  describe('in rooms', () => {
    const memberContent = async (roomId: string, userId: string) =>
      (await roomState.key(roomId).key(stateKeyOf('m.room.member', userId)).get({ consistent: true }))?.content as Record<string, unknown> | undefined;

    async function createRoom(owner: RegisteredUser): Promise<string> {
      const res = await owner.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'public_chat' });
      expect(res.status).toBe(200);
      return res.body.room_id;
    }

    it('re-sends the join event in every joined room with the new profile, and not in rooms left', async () => {
      const carol = await registerUser(anon);
      const [joined1, joined2, left] = await Promise.all([createRoom(alice), createRoom(alice), createRoom(alice)]);
      for (const roomId of [joined1, joined2, left]) expect((await carol.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/join`, {})).status).toBe(200);
      expect((await carol.client.post(`${v3}/rooms/${encodeURIComponent(left)}/leave`, {})).status).toBe(200);
      const leftBefore = await memberContent(left, carol.userId);

      expect((await carol.client.put(profilePath(carol.userId, 'displayname'), { displayname: 'Carol C.' })).status).toBe(200);
      expect((await carol.client.put(profilePath(carol.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/carol' })).status).toBe(200);
      for (const roomId of [joined1, joined2]) {
        const content = await eventually(
          () => memberContent(roomId, carol.userId),
          (c) => c?.displayname === 'Carol C.' && c.avatar_url === 'mxc://localhost/carol',
        );
        expect(content).toMatchObject({ membership: 'join', displayname: 'Carol C.', avatar_url: 'mxc://localhost/carol' });
      }
      expect(await memberContent(left, carol.userId)).toEqual(leftBefore);

      expect((await carol.client.delete(profilePath(carol.userId, 'avatar_url'))).status).toBe(200);
      const cleared = await eventually(() => memberContent(joined1, carol.userId), (c) => c !== undefined && !('avatar_url' in c));
      expect(cleared).toEqual({ membership: 'join', displayname: 'Carol C.' });
    });

    it('a deactivated user leaves their rooms and invitations', async () => {
      const dave = await registerUser(anon);
      const [joined, invited] = await Promise.all([createRoom(alice), createRoom(alice)]);
      expect((await dave.client.post(`${v3}/rooms/${encodeURIComponent(joined)}/join`, {})).status).toBe(200);
      expect((await alice.client.post(`${v3}/rooms/${encodeURIComponent(invited)}/invite`, { user_id: dave.userId })).status).toBe(200);
      const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: dave.userId }, password: PASSWORD };
      expect((await dave.client.post(`${v3}/account/deactivate`, { auth })).status).toBe(200);
      for (const roomId of [joined, invited]) {
        const content = await eventually(() => memberContent(roomId, dave.userId), (c) => c?.membership === 'leave');
        expect(content?.membership).toBe('leave');
      }
      const rooms = await memberRooms.key(dave.userId).range({ consistent: true });
      expect(rooms.entries.map(([, e]) => e.membership)).toEqual(['leave', 'leave']);
    });
  });
});
