// Server notices as Synapse sends them (element-hq/synapse docs/server_notices.md and
// docs/admin_api/server_notices.md): POST /_synapse/admin/v1/send_server_notice (and PUT with a
// txnId) answers `{event_id}`; the notice comes from the notices account in a room of the user's
// own that they are invited to, tagged m.server_notice, where they cannot write; later notices, a
// retried PUT and concurrent notices all reuse that one room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { validateStandardError } from '../support/openapi.ts';
import { startTestRuntime } from '../support/runtime.ts';

const notice = '/_synapse/admin/v1/send_server_notice';
const enc = encodeURIComponent;

describe('server notices', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let root: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('server-notices');
    anonymous = new TestClient(runtime.httpUrl);
    root = await registerUser(anonymous, uniqueLocalpart('root'));
    await submitAccountCommand('account.setAdmin', root.userId, { admin: true });
  });
  afterAll(() => runtime?.stop());

  async function send(method: 'POST' | 'PUT', body: unknown, txnId?: string, client = root.client): Promise<MatrixResponse<{ event_id: string }>> {
    const res = await client.request<{ event_id: string }>(method, txnId ? `${notice}/${enc(txnId)}` : notice, body, { unchecked: true });
    if (res.status >= 400) expect(validateStandardError(res.status, res.body).ok, JSON.stringify(res.body)).toBe(true);
    return res;
  }

  /** The rooms the user is invited to, from an initial sync. */
  async function invites(user: RegisteredUser): Promise<string[]> {
    const res = await user.client.get<{ rooms?: { invite?: Record<string, unknown> } }>('/_matrix/client/v3/sync?timeout=0');
    return Object.keys(res.body.rooms?.invite ?? {});
  }

  it('sends a notice into a room of the user, tagged, where they cannot write', async () => {
    const alice = await registerUser(anonymous, uniqueLocalpart('alice'));
    const content = { msgtype: 'm.text', body: 'Scheduled maintenance tonight' };
    const first = await send('POST', { user_id: alice.userId, content });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(Object.keys(first.body)).toEqual(['event_id']);
    const [roomId] = await invites(alice);
    expect(roomId).toBeDefined();
    expect((await alice.client.post(`/_matrix/client/v3/join/${enc(roomId!)}`, {})).status).toBe(200);

    const tags = await alice.client.get<{ tags: Record<string, unknown> }>(`/_matrix/client/v3/user/${enc(alice.userId)}/rooms/${enc(roomId!)}/tags`);
    expect(tags.body.tags).toHaveProperty('m.server_notice');
    const messages = await alice.client.get<{ chunk: { event_id: string; sender: string; type: string; content: unknown }[] }>(`/_matrix/client/v3/rooms/${enc(roomId!)}/messages?dir=b&limit=50`);
    const sent = messages.body.chunk.find((e) => e.event_id === first.body.event_id);
    expect(sent).toMatchObject({ sender: '@server:localhost', type: 'm.room.message', content });
    const profile = await alice.client.get<{ displayname?: string }>(`/_matrix/client/v3/profile/${enc('@server:localhost')}`);
    expect(profile.body.displayname).toBe('Server Notices');
    expectError(await alice.client.put(`/_matrix/client/v3/rooms/${enc(roomId!)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'reply' }, { unchecked: true }), 403, 'M_FORBIDDEN');

    // The next notice goes to the same room.
    const second = await send('POST', { user_id: alice.userId, content: { msgtype: 'm.text', body: 'Done' } });
    expect(second.status).toBe(200);
    const after = await alice.client.get<{ chunk: { event_id: string }[] }>(`/_matrix/client/v3/rooms/${enc(roomId!)}/messages?dir=b&limit=5`);
    expect(after.body.chunk.map((e) => e.event_id)).toContain(second.body.event_id);

    // Left: invited again into the same room.
    expect((await alice.client.post(`/_matrix/client/v3/rooms/${enc(roomId!)}/leave`, {})).status).toBe(200);
    expect((await send('POST', { user_id: alice.userId, content: { msgtype: 'm.text', body: 'Again' } })).status).toBe(200);
    expect(await invites(alice)).toEqual([roomId]);
  });

  it('answers a retried PUT with the same event, and concurrent notices share one room', async () => {
    const bob = await registerUser(anonymous, uniqueLocalpart('bob'));
    const body = { user_id: bob.userId, content: { msgtype: 'm.text', body: 'once' } };
    const [a, b] = await Promise.all([send('PUT', body, 'txn-1'), send('PUT', body, 'txn-1')]);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.body.event_id).toBe(a.body.event_id);
    const many = await Promise.all([1, 2, 3].map((i) => send('POST', { user_id: bob.userId, content: { msgtype: 'm.text', body: `n${i}` } })));
    expect(many.map((r) => r.status)).toEqual([200, 200, 200]);
    const rooms = await invites(bob);
    expect(rooms.length).toBe(1);
    expect((await bob.client.post(`/_matrix/client/v3/join/${enc(rooms[0]!)}`, {})).status).toBe(200);
    const messages = await bob.client.get<{ chunk: { event_id: string; content: { body?: string } }[] }>(`/_matrix/client/v3/rooms/${enc(rooms[0]!)}/messages?dir=b&limit=50`);
    const bodies = messages.body.chunk.map((e) => e.content.body).filter((x) => x !== undefined);
    expect(bodies.sort()).toEqual(['n1', 'n2', 'n3', 'once']);
  });

  it('refuses to send as an account someone registered under the notices name, and leaves it untouched', async () => {
    // The notices localpart is an ordinary one: whoever registers it first must not become the
    // sender (and creator of every notices room) under the official name.
    const squatter = await registerUser(anonymous, uniqueLocalpart('notices'));
    const dave = await registerUser(anonymous, uniqueLocalpart('dave'));
    const before = process.env.AXON_SERVER_NOTICES_USER;
    process.env.AXON_SERVER_NOTICES_USER = squatter.userId.slice(1).split(':')[0]!;
    try {
      expectError(await send('POST', { user_id: dave.userId, content: { msgtype: 'm.text', body: 'x' } }), 400, 'M_UNKNOWN');
    } finally {
      if (before === undefined) delete process.env.AXON_SERVER_NOTICES_USER;
      else process.env.AXON_SERVER_NOTICES_USER = before;
    }
    expect(await invites(dave)).toEqual([]);
    const profile = await anonymous.get<{ displayname?: string }>(`/_matrix/client/v3/profile/${enc(squatter.userId)}`);
    expect(profile.body.displayname).not.toBe('Server Notices');
  });

  it('reserves the notices localpart: nobody registers it (400 M_EXCLUSIVE, as Synapse), yet notices are sent under it', async () => {
    const reserved = uniqueLocalpart('notices');
    const userId = `@${reserved}:localhost`;
    const eve = await registerUser(anonymous, uniqueLocalpart('eve'));
    const before = process.env.AXON_SERVER_NOTICES_USER;
    process.env.AXON_SERVER_NOTICES_USER = reserved;
    try {
      const register = { username: reserved, password: 'correct horse battery staple', auth: { type: 'm.login.dummy' } };
      expectError(await anonymous.post('/_matrix/client/v3/register', register), 400, 'M_EXCLUSIVE');
      // Synapse downcases the asked-for name first: the capitalised name is the same account.
      expectError(await anonymous.post('/_matrix/client/v3/register', { ...register, username: reserved.toUpperCase() }), 400, 'M_EXCLUSIVE');
      expectError(await anonymous.get(`/_matrix/client/v3/register/available?username=${reserved}`), 400, 'M_EXCLUSIVE');
      const put = await root.client.request('PUT', `/_synapse/admin/v2/users/${enc(userId)}`, { password: 'correct horse battery staple' }, { unchecked: true });
      expectError(put, 400, 'M_EXCLUSIVE');
      // The server registers it itself, and answers the same once it exists.
      expect((await send('POST', { user_id: eve.userId, content: { msgtype: 'm.text', body: 'reserved' } })).status).toBe(200);
      expectError(await anonymous.post('/_matrix/client/v3/register', register), 400, 'M_EXCLUSIVE');
      expectError(await anonymous.get(`/_matrix/client/v3/register/available?username=${reserved}`), 400, 'M_EXCLUSIVE');
      expect(await invites(eve)).toHaveLength(1);
    } finally {
      if (before === undefined) delete process.env.AXON_SERVER_NOTICES_USER;
      else process.env.AXON_SERVER_NOTICES_USER = before;
    }
    // With notices off the name is no longer reserved, only taken (by the account the server made).
    process.env.AXON_SERVER_NOTICES_USER = '';
    try {
      expectError(await anonymous.get(`/_matrix/client/v3/register/available?username=${reserved}`), 400, 'M_USER_IN_USE');
    } finally {
      if (before === undefined) delete process.env.AXON_SERVER_NOTICES_USER;
      else process.env.AXON_SERVER_NOTICES_USER = before;
    }
  });

  it('refuses non-admins, other servers\' and unknown users, and bad bodies', async () => {
    const carol = await registerUser(anonymous, uniqueLocalpart('carol'));
    expectError(await send('POST', { user_id: carol.userId, content: { body: 'x' } }, undefined, carol.client), 403, 'M_FORBIDDEN');
    expectError(await send('POST', { user_id: '@someone:elsewhere.example', content: { body: 'x' } }), 400, 'M_UNKNOWN');
    expectError(await send('POST', { user_id: '@nobody-here:localhost', content: { body: 'x' } }), 404, 'M_NOT_FOUND');
    expect((await send('POST', { user_id: carol.userId })).status).toBe(400);
    expect((await send('POST', { user_id: carol.userId, content: 'text' })).status).toBe(400);
    expect(await invites(carol)).toEqual([]);
  });
});
