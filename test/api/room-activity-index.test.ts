// The activity index sliding sync's lists read (lib/matrix/rooms/activity-index.ts), kept only for
// users of sliding sync: a user's first sliding sync flags them and builds their entries; a bump
// moves the entries of the room's flagged members only, exactly once in effect however often the
// record's after-commit work runs; a leave removes the entry; a build racing sends leaves no entry
// under a stale stamp, and a client following `pos` sees every room's last bump.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPool } from '../../lib/core/concurrency.ts';
import type { DepotRecord } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { roomActivity, roomActivityBuilt, roomActivityMembers } from '../../lib/matrix/pstates.ts';
import { fanOutBump, keepActivityIndex, parseActivityKey, reconcileActivity, reconcileOps } from '../../lib/matrix/rooms/activity-index.ts';
import { commit, ConditionFailedError } from '../../lib/core/pstate/index.ts';
import type { RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { commitRoomCommand } from '../../lib/matrix/rooms/topology.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import type { SlidingSyncResponse } from '../support/sliding-sync-schema.ts';
import { createRoom, infoOf, send, timelineOf } from './rooms-support.ts';
import { slidingSync } from './sliding-sync-support.ts';

const v3 = '/_matrix/client/v3';

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the rooms activity index', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('room-activity-index', { activityIndex: true });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  const entriesOf = async (userId: string) =>
    (await roomActivity.key(userId).entries({ consistent: true })).map(([key, membership]) => ({ ...parseActivityKey(key), membership }));
  const firstWindow = { lists: { all: { ranges: [[0, 9]], timeline_limit: 0, required_state: [] } } };

  /** The user's index holds each listed room once, under the room's stamp, and its count says so. */
  const expectIndexExact = async (userId: string, rooms: readonly string[]) => {
    const entries = await entriesOf(userId);
    const expected = await Promise.all(rooms.map(async (roomId) => ({ roomId, bumpStamp: (await infoOf(roomId))!.bumpStamp!, membership: 'join' })));
    const byRoom = (a: { roomId: string }, b: { roomId: string }) => (a.roomId < b.roomId ? -1 : 1);
    expect([...entries].sort(byRoom)).toEqual([...expected].sort(byRoom));
    expect(await roomActivity.key(userId).count({ consistent: true })).toBe(entries.length);
  };

  it('keeps entries only for users of sliding sync; a bump moves theirs once, however often the fan-out runs', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    // Nobody uses sliding sync yet: nothing is kept.
    expect(await entriesOf(alice.userId)).toEqual([]);
    expect(await roomActivityMembers.key(roomId).entries({ consistent: true })).toEqual([]);
    // Alice's first sliding sync flags and builds her; Bob never uses it.
    await slidingSync(alice.client, firstWindow);
    expect((await roomActivityBuilt.key(alice.userId).get({ consistent: true }))?.builtAt).toBeDefined();
    expect(await roomActivityMembers.key(roomId).entries({ consistent: true })).toEqual([[alice.userId, 'join']]);

    const before = (await infoOf(roomId))!;
    const lane = before.shardId!;
    const arrivedAt = before.bumpStamp! + 1_000;
    const record: DepotRecord<RoomCommand> = {
      payload: { kind: 'send', roomId, sender: alice.userId, deviceId: alice.deviceId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'bump' } },
      requestId: `bump-${roomId}`,
      partitionKey: roomId,
      shardId: lane.split('.')[0]!,
      lane,
      sequenceNumber: '9'.repeat(70),
      eventId: `${lane}:bump`,
      arrivedAt,
    };
    await commitRoomCommand(record);
    // Redelivered: the commit is recorded already, the fan-out runs again (and once more after a crash in it).
    await commitRoomCommand(record);
    expect(await fanOutBump(roomId, arrivedAt)).toBe(1);
    expect(await fanOutBump(roomId, arrivedAt)).toBe(1);
    expect(await entriesOf(alice.userId)).toEqual([{ roomId, bumpStamp: arrivedAt, membership: 'join' }]);
    expect(await roomActivity.key(alice.userId).count({ consistent: true })).toBe(1);
    expect(await entriesOf(bob.userId)).toEqual([]);

    // Bob starts using sliding sync, then leaves: his entry goes, and a redelivered leave changes nothing.
    await slidingSync(bob.client, firstWindow);
    expect(await entriesOf(bob.userId)).toEqual([{ roomId, bumpStamp: arrivedAt, membership: 'join' }]);
    expect((await bob.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/leave`, {})).status).toBe(200);
    await until(async () => (await entriesOf(bob.userId)).length === 0, "bob's entry to go");
    await keepActivityIndex(roomId, arrivedAt, { targets: [bob.userId], bumped: false });
    expect(await entriesOf(bob.userId)).toEqual([]);
    expect(await roomActivity.key(bob.userId).count({ consistent: true })).toBe(0);
    expect(await roomActivityMembers.key(roomId).entries({ consistent: true })).toEqual([[alice.userId, 'join']]);
    // A join of a flagged user, its work run again: one entry.
    expect((await bob.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    await until(async () => (await entriesOf(bob.userId)).length === 1, "bob's entry to come back");
    await keepActivityIndex(roomId, arrivedAt, { targets: [bob.userId], bumped: true });
    await expectIndexExact(bob.userId, [roomId]);
  });

  it("builds a user's rooms from before their first sliding sync", async () => {
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const rooms = [await createRoom(carol.client, { name: 'a' }), await createRoom(carol.client, { name: 'b' })];
    expect(await entriesOf(carol.userId)).toEqual([]);
    expect(await roomActivityBuilt.key(carol.userId).get({ consistent: true })).toBeUndefined();

    const res = await slidingSync(carol.client, firstWindow);
    expect(res.lists?.all?.count).toBe(2);
    expect(Object.keys(res.rooms ?? {}).sort()).toEqual([...rooms].sort());
    await expectIndexExact(carol.userId, rooms);
    // Rooms after it are the topology's.
    const third = await createRoom(carol.client, { name: 'c' });
    await until(async () => (await entriesOf(carol.userId)).length === 3, 'the new room in the index');
    await expectIndexExact(carol.userId, [...rooms, third]);
  });

  it('a build overtaken by a bump is refused and made again from what holds now, so the bump is never lost', async () => {
    const erin = await registerUser(new TestClient(runtime.httpUrl));
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await erin.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    // Erin's build reads the room at its stamp then...
    const stale = await reconcileOps(erin.userId, [roomId]);
    const before = (await infoOf(roomId))!.bumpStamp!;
    // ...a message bumps it, and its fan-out finds nobody to move (erin is not in the room's members yet).
    expect((await send(alice.client, roomId, { msgtype: 'm.text', body: 'overtaking' })).status).toBe(200);
    await until(async () => (await infoOf(roomId))!.bumpStamp! > before, 'the bump');
    const stamp = (await infoOf(roomId))!.bumpStamp!;
    // The build's writes, made from the stale read, do not go in...
    await expect(commit(stale)).rejects.toThrow(ConditionFailedError);
    expect(await entriesOf(erin.userId)).toEqual([]);
    // ...made again, they hold the bump, and the next bump moves erin with the room's other members.
    await reconcileActivity(erin.userId, [roomId]);
    expect(await entriesOf(erin.userId)).toEqual([{ roomId, bumpStamp: stamp, membership: 'join' }]);
    expect(await roomActivityMembers.key(roomId).entries({ consistent: true })).toContainEqual([erin.userId, 'join']);
  });

  it('a first sliding sync racing sends: no stale entry, and a client following pos gets every room of its window at its last message', { timeout: 240_000 }, async () => {
    const ROOMS = 12;
    const WINDOW = 4;
    const users = await Promise.all(Array.from({ length: 3 }, () => registerUser(new TestClient(runtime.httpUrl))));
    const writer = await registerUser(new TestClient(runtime.httpUrl));
    const rooms = await inPool(Array.from({ length: ROOMS }, (_, i) => i), 4, async (i) => {
      const roomId = await createRoom(writer.client, { preset: 'public_chat', name: `r${i}` });
      for (const user of users) expect((await user.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
      return roomId;
    });
    const body = { conn_id: 'race', lists: { all: { ranges: [[0, WINDOW - 1]], timeline_limit: 1, required_state: [] } } };
    let writing = true;
    let sent = 0;
    let firsts = 0;
    const sending = (async () => {
      while (writing) {
        await Promise.all([0, 1].map(() => send(writer.client, rooms[Math.floor(Math.random() * ROOMS)]!, { msgtype: 'm.text', body: `m${sent++}` })));
      }
    })();
    // Each user's first sliding sync lands while messages go in, then they follow pos.
    const seen = users.map(() => new Set<string>());
    const follow = async (user: RegisteredUser, index: number, startAfterMs: number) => {
      await new Promise((r) => setTimeout(r, startAfterMs));
      const record = (res: SlidingSyncResponse) => {
        for (const room of Object.values(res.rooms ?? {})) for (const e of room.timeline ?? []) seen[index]!.add(e.event_id);
      };
      let res = await slidingSync(user.client, body);
      firsts++;
      record(res);
      for (let quiet = 0; writing || quiet < 3; ) {
        res = await slidingSync(user.client, body, { pos: res.pos, timeout: 300 });
        quiet = !writing && !Object.keys(res.rooms ?? {}).length ? quiet + 1 : 0;
        record(res);
      }
      return res;
    };
    const following = users.map((user, i) => follow(user, i, 300 + i * 400));
    // Messages go on until every first sliding sync is answered, and some more.
    await until(async () => firsts === users.length && sent >= 30, 'the first sliding syncs amid sends', 120_000);
    writing = false;
    await sending;
    const last = await Promise.all(following);
    expect(sent).toBeGreaterThanOrEqual(30);

    // The top of the list by the rooms' own stamps, and each one's last message.
    const infos = await Promise.all(rooms.map(async (roomId) => ({ roomId, stamp: (await infoOf(roomId))!.bumpStamp!, last: (await timelineOf(roomId)).at(-1)!.event.event_id })));
    const top = [...infos].sort((a, b) => b.stamp - a.stamp || (a.roomId < b.roomId ? -1 : 1)).slice(0, WINDOW);
    for (const [i, user] of users.entries()) {
      await until(async () => (await entriesOf(user.userId)).length === ROOMS, 'the index to settle');
      await expectIndexExact(user.userId, rooms);
      expect(last[i]!.lists?.all?.count).toBe(ROOMS);
      for (const room of top) expect(seen[i]!.has(room.last), `${user.userId} saw the last message of ${room.roomId}`).toBe(true);
    }
  });
});
