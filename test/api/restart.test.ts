// The timeline survives a restart of the local runtime: a runtime with its OWN engines persisting
// into a temp data directory (not the suite's shared engines) is stopped — engines, gateways,
// pollers — and started again on the same directory. /messages, a matrix-js-sdk client's timeline
// and an incremental /sync from a token of before the restart give what they gave before, and the
// topologies carry on from their checkpoints (a message sent afterwards lands once, at the end).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, SyncState, type MatrixClient } from 'matrix-js-sdk';
import { axon } from '../../lib/matrix/module.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { quietSdk } from '../support/sdk.ts';

const v3 = '/_matrix/client/v3';

interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  unsigned?: Record<string, unknown>;
}
interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: ClientEvent[] } }> };
}

quietSdk();

function start(dataDir: string): Promise<LocalRuntime> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  return startLocalRuntime({ module: axon, dataDir, httpPort: 0, wsPort: 0, serverName: 'localhost' });
}

/** An event as history shows it, without `unsigned.age` (the only part that changes with time). */
function stable(event: ClientEvent): ClientEvent {
  const { age: _age, ...unsigned } = event.unsigned ?? {};
  return { ...event, unsigned };
}

async function history(client: TestClient, roomId: string): Promise<ClientEvent[]> {
  const res = await client.get<{ chunk: ClientEvent[] }>(`${v3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.chunk.map(stable);
}

/** What a matrix-js-sdk client shows for the room once its sync loop is PREPARED. */
async function sdkTimeline(baseUrl: string, user: RegisteredUser, roomId: string): Promise<{ id: string; type: string; sender: string; content: unknown }[]> {
  const client: MatrixClient = createClient({ baseUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId });
  try {
    const prepared = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sync never PREPARED')), 30_000);
      client.on('sync' as never, ((state: SyncState) => {
        if (state === SyncState.Prepared) {
          clearTimeout(timer);
          resolve();
        }
      }) as never);
    });
    await client.startClient({ initialSyncLimit: 100 });
    await prepared;
    const room = client.getRoom(roomId);
    expect(room).toBeTruthy();
    return room!
      .getLiveTimeline()
      .getEvents()
      .map((e) => ({ id: e.getId()!, type: e.getType(), sender: e.getSender()!, content: e.getContent() }));
  } finally {
    client.stopClient();
  }
}

describe('restart of the local runtime', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'axon-restart-'));
    runtime = await start(dataDir);
  }, 180_000);
  afterAll(async () => {
    await runtime?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the timeline, sync tokens and topology checkpoints across a restart', async () => {
    const anonymous = new TestClient(runtime!.httpUrl);
    alice = await registerUser(anonymous);
    bob = await registerUser(anonymous);
    const created = await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'private_chat', name: 'before the restart' });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    const room = encodeURIComponent(roomId);
    expect((await alice.client.post(`${v3}/rooms/${room}/invite`, { user_id: bob.userId })).status).toBe(200);
    expect((await bob.client.post(`${v3}/rooms/${room}/join`, {})).status).toBe(200);
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) {
      const sender = i % 2 === 0 ? alice : bob;
      const res = await sender.client.put<{ event_id: string }>(`${v3}/rooms/${room}/send/m.room.message/r${i}`, { msgtype: 'm.text', body: `message ${i}` });
      expect(res.status).toBe(200);
      sent.push(res.body.event_id);
    }
    expect((await alice.client.put(`${v3}/rooms/${room}/state/m.room.topic/`, { topic: 'kept' })).status).toBe(200);
    expect((await bob.client.put(`${v3}/rooms/${room}/redact/${encodeURIComponent(sent[3]!)}/x1`, { reason: 'oops' })).status).toBe(200);

    const before = { alice: await history(alice.client, roomId), bob: await history(bob.client, roomId) };
    expect(before.alice.filter((e) => e.type === 'm.room.message')).toHaveLength(8);
    const sdkBefore = await sdkTimeline(runtime!.httpUrl, alice, roomId);
    expect(sdkBefore.map((e) => e.id)).toEqual(before.alice.map((e) => e.event_id).reverse());
    const tokenBefore = (await alice.client.get<SyncBody>(`${v3}/sync`)).body.next_batch;

    await runtime!.stop();
    runtime = undefined;
    runtime = await start(dataDir);

    const url = runtime.httpUrl;
    const again = (user: RegisteredUser) => ({ ...user, client: new TestClient(url, user.accessToken) });
    alice = again(alice);
    bob = again(bob);
    // Access tokens, history as each member sees it, and the SDK's timeline are as they were.
    expect(await history(alice.client, roomId)).toEqual(before.alice);
    expect(await history(bob.client, roomId)).toEqual(before.bob);
    expect(await sdkTimeline(url, alice, roomId)).toEqual(sdkBefore);

    // A sync token of before the restart still continues the chain: nothing repeated.
    const quiet = await alice.client.get<SyncBody>(`${v3}/sync?since=${encodeURIComponent(tokenBefore)}`);
    expect(quiet.status).toBe(200);
    expect(quiet.body.rooms?.join?.[roomId]?.timeline.events ?? []).toEqual([]);

    // The topologies resume from their checkpoints: a new message lands once, after the rest.
    const after = await bob.client.put<{ event_id: string }>(`${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after`, { msgtype: 'm.text', body: 'after' });
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    const now = await history(alice.client, roomId);
    expect(now.map((e) => e.event_id)).toEqual([after.body.event_id, ...before.alice.map((e) => e.event_id)]);
    const next = await alice.client.get<SyncBody>(`${v3}/sync?since=${encodeURIComponent(tokenBefore)}`);
    expect(next.body.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([after.body.event_id]);
  }, 300_000);
});
