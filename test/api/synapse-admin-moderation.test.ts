// What a shadow ban and a lock do beyond messages (test/api/synapse-admin.test.ts has those), as
// Synapse does (synapse/handlers/typing.py, room.py): a shadow-banned user's typing answers 200
// and reaches no one, over HTTP and over the WebSocket; their createRoom makes the room without
// its invites. A locked user's open WebSocket connections are closed, as a deactivated user's are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { registerUser, uniqueLocalpart, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { eventually, open, type Socket } from '../support/websocket.ts';
import { createRoom } from './rooms-support.ts';

const v3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('shadow bans and locks beyond messages', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let root: RegisteredUser;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    runtime = await startTestRuntime('synapse-admin-moderation');
    anonymous = new TestClient(runtime.httpUrl);
    root = await registerUser(anonymous, uniqueLocalpart('root'));
    await submitAccountCommand('account.setAdmin', root.userId, { admin: true });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await runtime?.stop();
  });

  const admin = (method: string, path: string, body?: unknown) => root.client.request(method, `/_synapse/admin${path}`, body, { unchecked: true });
  const socketOf = async (user: RegisteredUser) => {
    const socket = await open(runtime.wsUrl, { access_token: user.accessToken });
    sockets.push(socket);
    return socket;
  };

  /** Who the room's typing notification names, once it names `expected` (so what is absent had its chance). */
  async function typingOnceIncludes(reader: RegisteredUser, roomId: string, expected: string): Promise<string[]> {
    let typing: string[] = [];
    await eventually(async () => {
      const res = await reader.client.get<{ rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: { user_ids?: string[] } }[] } }> } }>(`${v3}/sync?timeout=0`);
      typing = res.body.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing')?.content.user_ids ?? [];
      return typing.includes(expected);
    });
    return typing;
  }

  it("drops a shadow-banned user's typing, over HTTP and the WebSocket, answering as if sent", async () => {
    const [alice, frank, gail] = await Promise.all(['alice', 'frank', 'gail'].map((n) => registerUser(anonymous, uniqueLocalpart(n))));
    const roomId = await createRoom(alice!.client, { preset: 'public_chat' });
    for (const u of [frank!, gail!]) expect((await u.client.post(`${v3}/join/${enc(roomId)}`, {})).status).toBe(200);
    expect((await admin('POST', `/v1/users/${enc(frank!.userId)}/shadow_ban`)).status).toBe(200);
    const frankSocket = await socketOf(frank!);

    const typing = (u: RegisteredUser) => u.client.put(`${v3}/rooms/${enc(roomId)}/typing/${enc(u.userId)}`, { typing: true, timeout: 30_000 });
    expect((await typing(frank!)).status).toBe(200);
    frankSocket.send({ action: 'typing', room_id: roomId, typing: true, timeout: 30_000 });
    // Frank's go first; gail's, after them in every queue, show when they would have arrived.
    await new Promise((r) => setTimeout(r, 200));
    expect((await typing(gail!)).status).toBe(200);
    const seen = await typingOnceIncludes(alice!, roomId, gail!.userId);
    expect(seen).not.toContain(frank!.userId);
  });

  it("makes a shadow-banned user's room without its invites", async () => {
    const [henry, ida] = await Promise.all(['henry', 'ida'].map((n) => registerUser(anonymous, uniqueLocalpart(n))));
    expect((await admin('POST', `/v1/users/${enc(henry!.userId)}/shadow_ban`)).status).toBe(200);
    const created = await henry!.client.post<{ room_id: string }>(`${v3}/createRoom`, { invite: [ida!.userId], name: 'quiet' });
    expect(created.status).toBe(200);
    const members = await henry!.client.get<{ chunk: { state_key: string; content: { membership: string } }[] }>(`${v3}/rooms/${enc(created.body.room_id)}/members`);
    expect(members.body.chunk.map((m) => [m.state_key, m.content.membership])).toEqual([[henry!.userId, 'join']]);
    const sync = await ida!.client.get<{ rooms?: { invite?: Record<string, unknown> } }>(`${v3}/sync?timeout=0`);
    expect(Object.keys(sync.body.rooms?.invite ?? {})).toEqual([]);
  });

  it("closes a locked user's WebSocket connections, and a deactivated user's", async () => {
    const [jack, kate] = await Promise.all(['jack', 'kate'].map((n) => registerUser(anonymous, uniqueLocalpart(n))));
    const [jackSocket, kateSocket] = [await socketOf(jack!), await socketOf(kate!)];
    expect((await admin('PUT', `/v2/users/${enc(jack!.userId)}`, { locked: true })).status).toBe(200);
    await eventually(async () => jackSocket.closed);
    // Locked, a new connection is refused.
    await expect(open(runtime.wsUrl, { access_token: jack!.accessToken })).rejects.toThrow();
    expect((await admin('POST', `/v1/deactivate/${enc(kate!.userId)}`, {})).status).toBe(200);
    await eventually(async () => kateSocket.closed);
  });
});
