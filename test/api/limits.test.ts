// Request limits of the HTTP layer and of writes: bodies over the configured size get 413
// M_TOO_LARGE before any parsing, and a user over their write budget gets 429 M_LIMIT_EXCEEDED
// with retry_after_ms (and Retry-After) — in both cases nothing is written.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
// A window of ~31 years: every request of a test falls into the same one.
const longWindow = (count: number) => `${count}/1000000000`;

describe('request limits', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('limits');
    const anon = new TestClient(runtime.httpUrl);
    alice = await registerUser(anon);
    bob = await registerUser(anon);
    const created = await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'public_chat' });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    expect((await bob.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/join`, {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());
  afterEach(() => {
    delete process.env.AXON_MAX_BODY_BYTES;
    delete process.env.AXON_RATE_LIMIT_WRITES;
  });

  async function messageBodies(): Promise<string[]> {
    const res = await alice.client.get<{ chunk: { type: string; content: { body?: string } }[] }>(
      `${v3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
    );
    expect(res.status).toBe(200);
    return res.body.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body ?? '');
  }

  const send = (user: RegisteredUser, txnId: string, body: string) =>
    user.client.put<{ event_id: string }>(`${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });

  it('answers a JSON body over AXON_MAX_BODY_BYTES with 413 M_TOO_LARGE and writes nothing', async () => {
    process.env.AXON_MAX_BODY_BYTES = '2048';
    const big = 'x'.repeat(3000);
    expectError(await send(alice, 'big1', big), 413, 'M_TOO_LARGE');
    // The size is checked before parsing: an oversized non-JSON body is too large, not M_NOT_JSON.
    const garbage = await alice.client.request('PUT', `${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/big2`, undefined, {
      rawBody: '{'.repeat(3000),
      headers: { 'content-type': 'application/json' },
    });
    expectError(garbage, 413, 'M_TOO_LARGE');
    // Just under the limit is accepted.
    const small = await send(alice, 'small1', 'y'.repeat(1500));
    expect(small.status).toBe(200);
    const bodies = await messageBodies();
    expect(bodies).toContain('y'.repeat(1500));
    expect(bodies).not.toContain(big);
  });

  it('limits JSON bodies to 1 MiB by default', async () => {
    const res = await alice.client.post(`${v3}/createRoom`, { name: 'z'.repeat(1024 * 1024 + 10) });
    expectError(res, 413, 'M_TOO_LARGE');
    const rooms = await alice.client.get<{ joined_rooms: string[] }>(`${v3}/joined_rooms`);
    expect(rooms.body.joined_rooms).toEqual([roomId]);
  });

  it('answers writes over the per-user budget with 429 M_LIMIT_EXCEEDED, writes nothing, and leaves other users alone', async () => {
    process.env.AXON_RATE_LIMIT_WRITES = longWindow(2);
    expect((await send(alice, 'rl1', 'within budget 1')).status).toBe(200);
    expect((await send(alice, 'rl2', 'within budget 2')).status).toBe(200);
    const refused = await send(alice, 'rl3', 'over budget');
    expectError(refused, 429, 'M_LIMIT_EXCEEDED');
    const retryAfterMs = (refused.body as unknown as { retry_after_ms?: number }).retry_after_ms;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBe(Math.ceil(retryAfterMs! / 1000));
    // Every write kind shares the budget: state, typing and room creation are refused too.
    expectError(await alice.client.put(`${v3}/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`, { topic: 'over' }), 429, 'M_LIMIT_EXCEEDED');
    expectError(await alice.client.put(`${v3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 1000 }), 429, 'M_LIMIT_EXCEEDED');
    expectError(await alice.client.post(`${v3}/createRoom`, {}), 429, 'M_LIMIT_EXCEEDED');
    // Reads are not limited, and another user has a budget of their own.
    expect((await send(bob, 'rl1', 'bob within budget')).status).toBe(200);
    const bodies = await messageBodies();
    expect(bodies).toEqual(expect.arrayContaining(['within budget 1', 'within budget 2', 'bob within budget']));
    expect(bodies).not.toContain('over budget');
    const topic = await alice.client.get(`${v3}/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`);
    expect(topic.status).toBe(404);
    const rooms = await alice.client.get<{ joined_rooms: string[] }>(`${v3}/joined_rooms`);
    expect(rooms.body.joined_rooms).toEqual([roomId]);
  });
});
