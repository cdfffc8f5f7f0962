// Issue 6's burst, scaled for CI: 200 typing updates from 20 members of one room in about a second
// are folded into few microbatches, each pushed as at most one frame per connection; the final
// typing set is right, and once the timeouts ran out it reads as empty in /sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { submitTyping } from '../../lib/matrix/ephemeral/submit.ts';
import type { EphemeralCommand } from '../../lib/matrix/ephemeral/commands.ts';
import { appendToDepot } from '../../lib/core/depot.ts';
import { typingUsers } from '../../lib/matrix/ephemeral/typing.ts';
import { axon } from '../../lib/matrix/module.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { presence, roomEphemeral, roomMembers, roomOnlineMembers } from '../../lib/matrix/pstates.ts';
import { getMany } from '../../lib/core/pstate/index.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { useTestEngines } from '../support/engines.ts';
import { TestClient } from '../support/matrix-client.ts';
import { createRoom } from './rooms-support.ts';

const v3 = '/_matrix/client/v3';
const USERS = 20;
const UPDATES_PER_USER = 10;
const TIMEOUT_MS = 4_000;

interface Frame {
  type: string;
  data?: { rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: { user_ids?: string[] } }[] } }> } };
}
interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: { user_ids?: string[] } }[] } }> };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a typing burst', () => {
  let runtime: LocalRuntime;
  let members: string[];
  let observer: RegisteredUser;
  let roomId: string;
  let folds = 0;
  let failedFolds = 0;
  const frames: Frame[] = [];
  let socket: WebSocket;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
    const env = useTestEngines('ephemeral-burst');
    runtime = await startLocalRuntime({
      module: axon,
      engines: env,
      tableName: env.prefix,
      streamPrefix: env.prefix,
      httpPort: 0,
      wsPort: 0,
      serverName: 'localhost',
      onInvocation: (r) => {
        if (r.functionName === 'ephemeralTopology' && !r.failed) folds++;
        if (r.functionName === 'ephemeralTopology' && r.failed) failedFolds++;
      },
    });
    const anonymous = new TestClient(runtime.httpUrl);
    observer = await registerUser(anonymous);
    roomId = await createRoom(observer.client, { preset: 'public_chat' });
    // The typing members only need to be members (the typing operation checks roomMembers): they
    // are written as joined directly, sparing 20 registrations and joins that are not under test.
    members = Array.from({ length: USERS }, (_, i) => `@burst${i}_${roomId.slice(1, 7)}:localhost`);
    await Promise.all(
      members.map((userId, i) =>
        commit([roomMembers.key(roomId).key(userId).set({ membership: 'join', eventId: `$join${i}`, position: 100 + i, displayname: userId, avatarUrl: '' })]),
      ),
    );

    socket = new WebSocket(`${runtime.wsUrl}/?access_token=${encodeURIComponent(observer.accessToken)}`);
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    // The connection counts the observer as online in the room: the fold's pushes find it there.
    await until(() => roomOnlineMembers.key(roomId).key(observer.userId).get({ consistent: true }), (v) => (v ?? 0) > Date.now(), 'observer online');
  }, 120_000);
  afterAll(async () => {
    socket?.close();
    await runtime?.stop();
  });

  it('folds into few batches, pushes at most one frame per batch, and ends with the right set', async () => {
    const { next_batch: since } = (await observer.client.get<SyncBody>(`${v3}/sync?timeout=0`)).body;
    folds = 0;
    const framesBefore = frames.length;
    // Members with an even index end typing, the others stop; every member changes its mind 10 times.
    const expected = members.filter((_, i) => i % 2 === 0).sort();
    for (let round = 0; round < UPDATES_PER_USER; round++) {
      const last = round === UPDATES_PER_USER - 1;
      await Promise.all(members.map((m, i) => submitTyping(m, roomId, last ? i % 2 === 0 : round % 2 === 0, TIMEOUT_MS)));
    }
    const item = await until(
      () => roomEphemeral.key(roomId).get({ consistent: true }),
      (i) => JSON.stringify(typingUsers(i?.typing, Date.now())) === JSON.stringify(expected),
      'final typing set',
    );
    expect(typingUsers(item?.typing, Date.now())).toEqual(expected);

    const updates = USERS * UPDATES_PER_USER;
    expect(folds).toBeGreaterThan(0);
    expect(folds * 4).toBeLessThan(updates);
    // Frames are pushed after each commit; the last one carries the final set.
    const typingFrames = () =>
      frames.slice(framesBefore).filter((f) => f.data?.rooms?.join?.[roomId]?.ephemeral?.events.some((e) => e.type === 'm.typing'));
    const lastFrame = await until(
      async () => typingFrames().at(-1),
      (f) => JSON.stringify(f?.data?.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing')?.content.user_ids?.slice().sort()) === JSON.stringify(expected),
      'a frame with the final set',
    );
    expect(lastFrame).toBeDefined();
    expect(typingFrames().length).toBeLessThanOrEqual(folds);
    console.log(`typing burst: ${updates} updates → ${folds} microbatches, ${typingFrames().length} typing frames to the observer`);

    // After the timeouts, the set reads as empty, and an incremental sync says so.
    const empty = await until(
      () => observer.client.get<SyncBody>(`${v3}/sync?timeout=0&since=${encodeURIComponent(since)}`),
      (res) => {
        const typing = res.body.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing');
        return typing?.content.user_ids?.length === 0;
      },
      'typing set empty after the timeouts',
    );
    expect(empty.status).toBe(200);
    expect(typingUsers((await roomEphemeral.key(roomId).get({ consistent: true }))?.typing, Date.now())).toEqual([]);
  });

  it('commits presence of 150 users appended at once, however they were batched', async () => {
    // 150 distinct users cannot be written with the checkpoint in one transaction (100 items):
    // a batch holding them all fails and the mapping bisects it until every half commits.
    const userIds = Array.from({ length: 150 }, (_, i) => `@present${i}:localhost`);
    // One PutRecords request, so the records land together and are likely read as one batch.
    await appendToDepot(
      'ephemeral',
      userIds.map((userId) => {
        const command: EphemeralCommand = { kind: 'ephemeral.presence', userId, presence: 'online', statusMsg: `#${userId}` };
        return { partitionKey: userId, data: command, kind: command.kind };
      }),
    );
    const stored = await until(
      () => getMany(userIds.map((id) => presence.key(id)), { consistent: true }),
      (items) => items.every((p) => p !== undefined),
      'every presence committed',
      60_000,
    );
    expect(stored.map((p) => p?.statusMsg)).toEqual(userIds.map((id) => `#${id}`));
    console.log(`presence burst: 150 users, ${failedFolds} oversized batch(es) bisected`);
  });
});
