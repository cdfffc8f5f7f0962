// Who newly shares a room shows up in device_lists.changed (/sync) and GET /keys/changes, as
// Synapse lists them: members who join or are invited to a room of the requester's after the
// token, every member of a room the requester joins after it, a leave and rejoin as a change (never
// `left`); and what a sync in which nothing about memberships moved reads for it (nothing, or one
// item when only a message moved a room).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SerializeMiddleware } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClientPlugin, removeClientPlugin, type ClientPlugin } from '../../lib/core/aws-clients.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { changedDeviceLists } from '../../lib/matrix/keys/changes.ts';
import { readRoomsCut } from '../../lib/matrix/sync/cut.ts';
import { decodeSyncToken } from '../../lib/matrix/sync/token.ts';
import { readAllWatermarks } from '../../lib/matrix/sync/watermark.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { deviceKeysFor, signingKey, v3 } from './keys-support.ts';
import { createRoom, send } from './rooms-support.ts';

type DeviceLists = { changed: string[]; left: string[] };
type SyncBody = { next_batch: string; device_lists: DeviceLists };

const sorted = (users: string[]) => [...users].sort();

describe('device lists of users who newly share a room', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime('keys-device-lists');
  });
  afterAll(() => runtime?.stop());

  const user = () => registerUser(new TestClient(runtime.httpUrl));
  const sync = async (by: RegisteredUser, since?: string): Promise<SyncBody> => {
    const res = await by.client.get<SyncBody>(`${v3}/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const keysChanges = async (by: RegisteredUser, from: string, to: string): Promise<DeviceLists> => {
    const res = await by.client.get<DeviceLists>(`${v3}/keys/changes?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(res.status).toBe(200);
    return { changed: sorted(res.body.changed), left: sorted(res.body.left) };
  };
  const join = async (user: RegisteredUser, roomId: string) => expect((await user.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
  const leave = async (user: RegisteredUser, roomId: string) =>
    expect((await user.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/leave`, {})).status).toBe(200);
  const invite = async (by: RegisteredUser, roomId: string, user: RegisteredUser) =>
    expect((await by.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: user.userId })).status).toBe(200);

  it('lists who joins or is invited to a room of ours after the token, once, in /sync and /keys/changes', async () => {
    const [alice, bob, carol, stranger] = await Promise.all([user(), user(), user(), user()]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    const elsewhere = await createRoom(stranger.client, { preset: 'public_chat' });
    const from = (await sync(alice)).next_batch;
    await join(bob, roomId);
    await invite(alice, roomId, carol);
    await join(carol, elsewhere); // a room alice is not in: nothing to her
    const first = await sync(alice, from);
    expect(sorted(first.device_lists.changed)).toEqual(sorted([bob.userId, carol.userId]));
    expect(first.device_lists.left).toEqual([]);
    expect((await sync(alice, first.next_batch)).device_lists).toEqual({ changed: [], left: [] });
    // Later events in the room do not hide the joins inside (from, to] from /keys/changes.
    expect((await send(alice.client, roomId, { msgtype: 'm.text', body: 'after' })).status).toBe(200);
    expect(await keysChanges(alice, from, first.next_batch)).toEqual({ changed: sorted([bob.userId, carol.userId]), left: [] });
    expect(await keysChanges(alice, first.next_batch, first.next_batch)).toEqual({ changed: [], left: [] });
  });

  it('lists every joined or invited member of a room the requester joins, never the requester', async () => {
    const [alice, bob, carol, dave] = await Promise.all([user(), user(), user(), user()]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(carol, roomId);
    await invite(alice, roomId, dave);
    const from = (await sync(bob)).next_batch;
    await join(bob, roomId);
    const first = await sync(bob, from);
    expect(sorted(first.device_lists.changed)).toEqual(sorted([alice.userId, carol.userId, dave.userId]));
    expect(first.device_lists.left).toEqual([]);
    expect(await keysChanges(bob, from, first.next_batch)).toEqual({ changed: sorted([alice.userId, carol.userId, dave.userId]), left: [] });
    expect((await sync(bob, first.next_batch)).device_lists).toEqual({ changed: [], left: [] });
  });

  it('lists a user who left and came back as changed, not left, and after our own rejoin the room\'s members', async () => {
    const [alice, erin] = await Promise.all([user(), user()]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(erin, roomId);
    const t1 = (await sync(alice)).next_batch;
    await leave(erin, roomId);
    const gone = await sync(alice, t1);
    expect(gone.device_lists).toEqual({ changed: [], left: [erin.userId] });
    await join(erin, roomId);
    const back = await sync(alice, gone.next_batch);
    expect(back.device_lists).toEqual({ changed: [erin.userId], left: [] });

    // Leave and rejoin inside one window: a rejoin.
    await leave(erin, roomId);
    await join(erin, roomId);
    const both = await sync(alice, back.next_batch);
    expect(both.device_lists).toEqual({ changed: [erin.userId], left: [] });
    expect(await keysChanges(alice, back.next_batch, both.next_batch)).toEqual({ changed: [erin.userId], left: [] });

    // Alice leaves (erin is left for her), erin changes nothing, alice rejoins: erin again.
    await leave(alice, roomId);
    const away = await sync(alice, both.next_batch);
    expect(away.device_lists).toEqual({ changed: [], left: [erin.userId] });
    await join(alice, roomId);
    const rejoined = await sync(alice, away.next_batch);
    expect(rejoined.device_lists).toEqual({ changed: [erin.userId], left: [] });
    expect(await keysChanges(alice, away.next_batch, rejoined.next_batch)).toEqual({ changed: [erin.userId], left: [] });
  });

  it('does not take the requester\'s profile change for a join (the members are not new to it)', async () => {
    const [alice, bob] = await Promise.all([user(), user()]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(bob, roomId);
    const before = (await sync(alice)).next_batch;
    const renamed = await alice.client.put(`${v3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(alice.userId)}`, {
      membership: 'join',
      displayname: 'Alice A',
    });
    expect(renamed.status).toBe(200);
    expect((await sync(alice, before)).device_lists).toEqual({ changed: [], left: [] });
    // A join and a profile change in one window: still a join.
    const carol = await user();
    const from = (await sync(carol)).next_batch;
    await join(carol, roomId);
    const profile = await carol.client.put(`${v3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(carol.userId)}`, {
      membership: 'join',
      displayname: 'Carol C',
    });
    expect(profile.status).toBe(200);
    expect(sorted((await sync(carol, from)).device_lists.changed)).toEqual(sorted([alice.userId, bob.userId]));
  });

  it('lists keys changed while the requester was away once it is back', async () => {
    const [alice, bob] = await Promise.all([user(), user()]);
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    await join(bob, roomId);
    const before = (await sync(alice)).next_batch;
    await leave(alice, roomId);
    expect((await bob.client.post(`${v3}/keys/upload`, { device_keys: deviceKeysFor(bob, signingKey()) })).status).toBe(200);
    await join(alice, roomId);
    const after = await sync(alice, before);
    expect(after.device_lists).toEqual({ changed: [bob.userId], left: [] });
    expect(await keysChanges(alice, before, after.next_batch)).toEqual({ changed: [bob.userId], left: [] });
  });

  describe('reads when no membership moved', () => {
    /** DynamoDB requests made inside `run` (not the runtime's own): `<operation> <PState>` → items or queries. */
    const scope = new AsyncLocalStorage<Map<string, number>>();
    const pstateOf = (key: unknown) => String((key as { S?: string } | undefined)?.S ?? key).split('#')[0];
    type DynamoInput = { Key?: { pk?: unknown }; ExpressionAttributeValues?: Record<string, unknown>; RequestItems?: Record<string, { Keys?: { pk?: unknown }[] }> };
    const counting: SerializeMiddleware<DynamoInput, object> = (next, context) => (args) => {
      const reads = scope.getStore();
      if (reads) {
        const input = args.input;
        const pks = input.RequestItems
          ? Object.values(input.RequestItems).flatMap((r) => (r.Keys ?? []).map((k) => k.pk))
          : [input.Key?.pk ?? input.ExpressionAttributeValues?.[':pk']];
        for (const pk of pks) {
          const name = `${context.commandName?.replace(/Command$/, '')} ${pstateOf(pk)}`;
          reads.set(name, (reads.get(name) ?? 0) + 1);
        }
      }
      return next(args);
    };
    const plugin: ClientPlugin = {
      applyToStack: (stack) => stack.add(counting, { step: 'serialize', priority: 'high', name: 'deviceListReads', override: true }),
    };
    beforeAll(() => addClientPlugin(plugin));
    afterAll(() => removeClientPlugin(plugin));

    /** alice's device lists since `token` as her /sync computes them, with the reads it made. */
    async function measured(alice: RegisteredUser, token: string) {
      const since = decodeSyncToken(token);
      const [cut, watermarks] = await Promise.all([readRoomsCut(alice.userId), readAllWatermarks()]);
      const reads = new Map<string, number>();
      const lists = await scope.run(reads, () => changedDeviceLists(alice.userId, since.keys ?? {}, watermarks.keys, since.rooms, undefined, cut.memberships));
      return { lists, reads: Object.fromEntries(reads) };
    }

    it('reads nothing when no room moved, and one member item when only a message did', async () => {
      const [alice, bob, ...passing] = await Promise.all([user(), user(), user(), user(), user()]);
      const roomId = await createRoom(alice.client, { preset: 'public_chat' });
      await join(bob, roomId);
      // Members who came and went long before the token are not read again.
      for (const user of passing) {
        await join(user, roomId);
        await leave(user, roomId);
      }
      const token = (await sync(alice)).next_batch;
      expect(await measured(alice, token)).toEqual({ lists: { changed: [], left: [] }, reads: {} });

      expect((await send(bob.client, roomId, { msgtype: 'm.text', body: 'hello' })).status).toBe(200);
      const afterMessage = await sync(alice, token);
      expect(afterMessage.device_lists).toEqual({ changed: [], left: [] });
      // The room's members once, then the newest membership change (the last leave): older than the token.
      expect(await measured(alice, token)).toEqual({ lists: { changed: [], left: [] }, reads: { 'Query roomMembers': 1, 'BatchGetItem memberRooms': 1 } });
    });
  });
});
