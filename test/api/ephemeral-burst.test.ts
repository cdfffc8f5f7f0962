// Issue 6's burst: typing updates from the members of one room, appended to the ephemeral depot as
// fast as Kinesis takes them (one PutRecords request per round of one update per member), are folded into
// few microbatches, each pushed as at most one frame to each WebSocket-connected member; every
// connection ends up with the right typing set, and once the timeouts ran out it reads as empty in
// /sync. `npm test` runs it at CI size (200 updates from 20 members, 4 of them connected);
// AXON_FULL_SIZE=1 at the (1,000 updates from 50 members, 10 connected).
// The connected members register and join through the API; the others only need to be members
// for the frames to be about them, and are written as joined directly (registrations are slow on
// CI and not under test here). The burst bypasses the typing operation's membership check (tested
// in ephemeral.test.ts) so that its rate is the depot's, not one HTTP request per update: the
// records are keyed by user, so that a round fits one request (the appender sends one pending
// record per partition key per request), which keeps the room's records in order only because the
// ephemeral depot has one shard — checked first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import type { EphemeralCommand } from '../../lib/matrix/ephemeral/commands.ts';
import { appendToDepot } from '../../lib/core/depot.ts';
import { typingUsers } from '../../lib/matrix/ephemeral/typing.ts';
import { axon } from '../../lib/matrix/module.ts';
import { presence, roomEphemeral, roomMembers, roomOnlineMembers, syncWake } from '../../lib/matrix/pstates.ts';
import { commit, getMany } from '../../lib/core/pstate/index.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { useTestEngines } from '../support/engines.ts';
import { TestClient } from '../support/matrix-client.ts';
import { createRoom } from './rooms-support.ts';
import { until } from '../support/poll.ts';

const v3 = '/_matrix/client/v3';
const FULL_SIZE = process.env.AXON_FULL_SIZE === '1';
const USERS = FULL_SIZE ? 50 : 20;
const CONNECTED = FULL_SIZE ? 10 : 4;
const UPDATES_PER_USER = FULL_SIZE ? 20 : 10;
const TIMEOUT_MS = 8_000;

type EphemeralEvents = { events: { type: string; content: { user_ids?: string[] } }[] };
interface Frame {
  type: string;
  data?: { rooms?: { join?: Record<string, { ephemeral?: EphemeralEvents }> } };
}
interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { ephemeral?: EphemeralEvents }> };
}

async function inChunks<T, R>(items: readonly T[], size: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => run(item, i + j)))));
  return out;
}

describe('a typing burst', () => {
  let runtime: LocalRuntime;
  /** Every typing member; the first CONNECTED are registered and connected. */
  let members: string[];
  let connected: RegisteredUser[];
  let roomId: string;
  let folds = 0;
  let failedFolds = 0;
  /** Per connected member: the frames its connection received. */
  let frames: Frame[][];
  let sockets: WebSocket[] = [];

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
    const t0 = Date.now();
    const step = (what: string) => process.env.AXON_FULL_SIZE && console.log(`burst setup: ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const anonymous = new TestClient(runtime.httpUrl);
    connected = await inChunks(Array.from({ length: CONNECTED }), 10, () => registerUser(anonymous));
    step('registered');
    roomId = await createRoom(connected[0]!.client, { preset: 'public_chat' });
    await inChunks(connected.slice(1), 10, async (m) => {
      const res = await m.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {});
      if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
    });
    const others = Array.from({ length: USERS - CONNECTED }, (_, i) => `@burst${i}_${roomId.slice(1, 7)}:localhost`);
    await inChunks(others, 25, (userId, i) =>
      commit([roomMembers.key(roomId).key(userId).set({ membership: 'join', eventId: `$join${i}`, position: 100 + i, displayname: userId, avatarUrl: '' })]),
    );
    members = [...connected.map((m) => m.userId), ...others];
    step('joined');
    frames = connected.map(() => []);
    sockets = await inChunks(connected, 10, async (m, i) => {
      const socket = new WebSocket(`${runtime.wsUrl}/?access_token=${encodeURIComponent(m.accessToken)}`);
      socket.on('message', (data) => frames[i]!.push(JSON.parse(data.toString()) as Frame));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      return socket;
    });
    // Each connection counts its member as online in the room: the fold's pushes find them there.
    await until(
      () => getMany(connected.map((m) => roomOnlineMembers.key(roomId).key(m.userId)), { consistent: true }),
      (v) => v.every((until) => (until ?? 0) > Date.now()),
      'every member online',
    );
    step('connected');
  }, 300_000);
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await runtime?.stop();
  });

  it('folds into few batches, pushes at most one frame per batch to each connection, and ends with the right set', async () => {
    const observer = connected[0]!;
    // Syncs here leave presence alone (set_presence=offline), so the only changes are the burst's.
    const { next_batch: since } = (await observer.client.get<SyncBody>(`${v3}/sync?timeout=0&set_presence=offline`)).body;
    // One connected member also long-polls: batches wake it; the others, online only through their
    // connection, get frames and no wake write.
    const poller = connected[1]!;
    const { next_batch: pollSince } = (await poller.client.get<SyncBody>(`${v3}/sync?timeout=0&set_presence=offline`)).body;
    const wakesOf = async () => (await getMany(connected.map((m) => syncWake.key(m.userId)), { consistent: true })).map((w) => w?.wakes ?? 0);
    const wakesBefore = await wakesOf();
    const poll = poller.client.get<SyncBody>(`${v3}/sync?timeout=20000&set_presence=offline&since=${encodeURIComponent(pollSince)}`);
    await until(() => syncWake.key(poller.userId).get({ consistent: true }), (w) => (w?.pollingUntil ?? 0) > Date.now(), 'the long-poll registered');
    folds = 0;
    const framesBefore = frames.map((f) => f.length);
    // Members with an even index end typing, the others stop; every member changes its mind each round.
    expect(axon.depots.find((d) => d.name === 'ephemeral')?.shards).toBe(1);
    const expected = members.filter((_, i) => i % 2 === 0).sort();
    const started = performance.now();
    for (let round = 0; round < UPDATES_PER_USER; round++) {
      const last = round === UPDATES_PER_USER - 1;
      await appendToDepot(
        'ephemeral',
        members.map((userId, i) => {
          const typing = last ? i % 2 === 0 : round % 2 === 0;
          const command: EphemeralCommand = { kind: 'ephemeral.typing', roomId, userId, typing, timeoutMs: typing ? TIMEOUT_MS : 0 };
          return { partitionKey: userId, data: command, kind: command.kind };
        }),
      );
    }
    const burstMs = performance.now() - started;
    const item = await until(
      () => roomEphemeral.key(roomId).get({ consistent: true }),
      (i) => JSON.stringify(typingUsers(i?.typing, Date.now())) === JSON.stringify(expected),
      'final typing set',
    );
    expect(typingUsers(item?.typing, Date.now())).toEqual(expected);

    const updates = USERS * UPDATES_PER_USER;
    const typingOf = (f: Frame) => f.data?.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing');
    const typingFrames = (i: number) => frames[i]!.slice(framesBefore[i]).filter((f) => typingOf(f) !== undefined);
    // Frames are pushed after each commit; every connection's last one carries the final set.
    await until(
      async () => connected.map((_, i) => typingOf(typingFrames(i).at(-1) ?? ({} as Frame))?.content.user_ids?.slice().sort()),
      (finals) => finals.every((users) => JSON.stringify(users) === JSON.stringify(expected)),
      'the final set on every connection',
    );
    if (FULL_SIZE) console.log(`final set on every connection after ${((performance.now() - started) / 1000).toFixed(2)} s`);
    expect(folds).toBeGreaterThan(0);
    expect(folds * 4).toBeLessThan(updates);
    expect((await poll).body.rooms?.join?.[roomId]?.ephemeral?.events.some((e) => e.type === 'm.typing')).toBe(true);
    const wakesAfter = await wakesOf();
    connected.forEach((m, i) => {
      if (m === poller) expect(wakesAfter[i]).toBeGreaterThan(wakesBefore[i]!);
      else expect(wakesAfter[i], `wakes of ${m.userId}`).toBe(wakesBefore[i]);
    });
    const perConnection = connected.map((_, i) => typingFrames(i).length);
    for (const count of perConnection) expect(count).toBeLessThanOrEqual(folds);
    console.log(
      `typing burst: ${updates} updates from ${USERS} members in ${(burstMs / 1000).toFixed(2)} s → ${folds} microbatches; ` +
        `typing frames per connection: max ${Math.max(...perConnection)}, min ${Math.min(...perConnection)} over ${CONNECTED} connections`,
    );

    // After the timeouts, the set reads as empty, and an incremental sync says so.
    const empty = await until(
      () => observer.client.get<SyncBody>(`${v3}/sync?timeout=0&set_presence=offline&since=${encodeURIComponent(since)}`),
      (res) => {
        const typing = res.body.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing');
        return typing?.content.user_ids?.length === 0;
      },
      'typing set empty after the timeouts',
    );
    expect(empty.status).toBe(200);
    expect(typingUsers((await roomEphemeral.key(roomId).get({ consistent: true }))?.typing, Date.now())).toEqual([]);
  }, 180_000);

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
