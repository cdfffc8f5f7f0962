// Sync's cut while the rooms topology applies lanes out of order: room A's message (earlier in the
// shard) is held in its commit while room B's (later, same shard, another partition) is applied
// and answered. A sync taken meanwhile delivers B's message and not A's; its token must not claim
// A's position, so the next sync delivers A's message: every event once, none missed. With one
// watermark per shard (and lanes applied concurrently) the first token would claim B's position,
// past A's, and A's message would never reach this client.
import type { Pluggable } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClientPlugin, removeClientPlugin, resetClients } from '../../lib/core/aws-clients.ts';
import { partitionKinesisKey, partitionOf } from '../../lib/core/partitions.ts';
import { laneOf as mappingLaneOf } from '../../lib/local/event-source-mapping/lanes.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { depots } from '../../lib/matrix/depots.ts';
import { decodeSyncToken, encodeSyncToken } from '../../lib/matrix/sync/token.ts';
import { axon } from '../../lib/matrix/module.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { content: { body?: string } }[] } }> };
}

/** Whether a request writes `marker`, also inside JSON values (stored as their UTF-8 text). */
const writesText = (input: unknown, marker: string) =>
  JSON.stringify(input, (_, v: unknown) => {
    // A Buffer has turned into { type: 'Buffer', data } (its toJSON) before it gets here.
    const bytes = v instanceof Uint8Array ? v : (v as { type?: unknown; data?: unknown })?.type === 'Buffer' ? (v as { data: number[] }).data : undefined;
    return bytes ? Buffer.from(bytes).toString('utf8') : v;
  }).includes(marker);

/** Commits of the rooms topology that carry `marker` wait until released. */
function holdCommits(marker: string) {
  let held: (() => void) | undefined;
  let holding = false;
  const gate = new Promise<void>((resolve) => (held = resolve));
  let reached!: () => void;
  const reachedGate = new Promise<void>((resolve) => (reached = resolve));
  const plugin: Pluggable<object, object> = {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          if (holding && context.commandName === 'TransactWriteItemsCommand' && writesText(args.input, marker)) {
            reached();
            await gate;
          }
          return next(args);
        },
        { step: 'initialize', name: 'holdMarkedCommits' },
      );
    },
  };
  return {
    plugin,
    arm: () => (holding = true),
    reached: reachedGate,
    release: () => held!(),
  };
}

const bodies = (body: SyncBody, roomId: string) => (body.rooms?.join?.[roomId]?.timeline.events ?? []).map((e) => e.content.body);

describe('sync while lanes are applied out of order', () => {
  const hold = holdCommits('HOLD-A');
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let roomA: string;
  let roomB: string;

  beforeAll(async () => {
    // Installed before anything runs (installing recreates the shared clients).
    addClientPlugin(hold.plugin);
    resetClients();
    runtime = await startTestRuntime('sync-lanes');
    alice = await registerUser(new TestClient(runtime.httpUrl));
    // Two rooms in partitions of the same shard that the mapping runs in different lanes.
    const partitions = depots.rooms.partitions;
    const perShard = partitions / depots.rooms.shards;
    const parallelization = axon.topologies.find((t) => t.name === 'rooms')!.parallelization!;
    const lane = (roomId: string) => mappingLaneOf(partitionKinesisKey(partitionOf(roomId, partitions)), parallelization);
    const shard = (roomId: string) => Math.floor(partitionOf(roomId, partitions) / perShard);
    const created: string[] = [];
    while (!roomA) {
      const roomId = await createRoom(alice.client, { preset: 'private_chat' });
      const partner = created.find((other) => shard(other) === shard(roomId) && partitionOf(other, partitions) !== partitionOf(roomId, partitions) && lane(other) !== lane(roomId));
      if (partner) [roomA, roomB] = [partner, roomId];
      created.push(roomId);
    }
  }, 300_000);

  afterAll(async () => {
    hold.release();
    await runtime?.stop();
    removeClientPlugin(hold.plugin);
    resetClients();
  });

  it('never lets a token claim a position below which a record is still being applied', async () => {
    const start = await alice.client.get<SyncBody>(`${path.v3}/sync?timeout=0`);
    expect(start.status).toBe(200);

    hold.arm();
    const sendingA = send(alice.client, roomA, { msgtype: 'm.text', body: 'HOLD-A' });
    await hold.reached;
    // Room B's message comes later in the same shard, and is applied and answered meanwhile.
    const b = await send(alice.client, roomB, { msgtype: 'm.text', body: 'B-after-A' });
    expect(b.status).toBe(200);

    const during = await alice.client.get<SyncBody>(`${path.v3}/sync?timeout=0&since=${encodeURIComponent(start.body.next_batch)}`);
    expect(during.status).toBe(200);
    expect(bodies(during.body, roomB)).toEqual(['B-after-A']);
    expect(bodies(during.body, roomA)).toEqual([]);

    hold.release();
    expect((await sendingA).status).toBe(200);
    const after = await alice.client.get<SyncBody>(`${path.v3}/sync?timeout=0&since=${encodeURIComponent(during.body.next_batch)}`);
    expect(after.status).toBe(200);
    expect(bodies(after.body, roomA)).toEqual(['HOLD-A']);
    expect(bodies(after.body, roomB)).toEqual([]);
  }, 120_000);

  it('takes a token from before depot partitions (positions per shard) as the same point: the next sync is incremental', async () => {
    await send(alice.client, roomA, { msgtype: 'm.text', body: 'before the token' });
    const now = await alice.client.get<SyncBody>(`${path.v3}/sync?timeout=0`);
    expect(now.status).toBe(200);
    // Every record appended so far is applied (each send was answered), so each shard's furthest
    // lane is where a per-shard token of this moment stood.
    const perShard = (positions: Record<string, string>) => {
      const out: Record<string, string> = {};
      for (const [lane, position] of Object.entries(positions)) {
        const shard = `shardId-${lane.split('.')[0]!.padStart(12, '0')}`;
        if (!(out[shard]! >= position)) out[shard] = position;
      }
      return out;
    };
    const current = decodeSyncToken(now.body.next_batch);
    expect(Object.keys(current.rooms).every((lane) => /^\d+\.p\d+$/.test(lane))).toBe(true);
    const old = encodeSyncToken({ ...current, rooms: perShard(current.rooms), accountData: perShard(current.accountData), ...(current.keys ? { keys: perShard(current.keys) } : {}) });

    await send(alice.client, roomA, { msgtype: 'm.text', body: 'after the token' });
    const next = await alice.client.get<SyncBody & { rooms?: { join?: Record<string, { state: { events: unknown[] } }> } }>(
      `${path.v3}/sync?timeout=0&since=${encodeURIComponent(old)}`,
    );
    expect(next.status).toBe(200);
    expect(bodies(next.body, roomA)).toEqual(['after the token']);
    expect(next.body.rooms?.join?.[roomA]?.state.events).toEqual([]);
    expect(Object.keys(next.body.rooms?.join ?? {})).toEqual([roomA]);
    // The token it answers is in lanes and goes on from there.
    const again = await alice.client.get<SyncBody>(`${path.v3}/sync?timeout=0&since=${encodeURIComponent(next.body.next_batch)}`);
    expect(again.status).toBe(200);
    expect(again.body.rooms?.join ?? {}).toEqual({});
  }, 120_000);
});
