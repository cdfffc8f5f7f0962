// The activity index sliding sync's lists read (lib/matrix/rooms/activity-index.ts): a bump moves
// every listed member's entry to the room's new stamp, exactly once in effect however often the
// record's after-commit work runs; a leave removes the entry; rooms joined before the index existed
// are built into it on the user's first sliding sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../lib/core/pstate/index.ts';
import type { DepotRecord } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { roomActivity } from '../../lib/matrix/pstates.ts';
import { activityKey, fanOutBump, parseActivityKey } from '../../lib/matrix/rooms/activity-index.ts';
import type { RoomCommand } from '../../lib/matrix/rooms/commands.ts';
import { commitRoomCommand } from '../../lib/matrix/rooms/topology.ts';
import { roomActivityBuilt } from '../../lib/matrix/sliding-sync/activity.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, infoOf } from './rooms-support.ts';
import { slidingSync } from './sliding-sync-support.ts';

const v3 = '/_matrix/client/v3';

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

  it('moves every member to the new stamp once, however often the fan-out runs; a leave removes the entry', async () => {
    const roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(`${v3}/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
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
    expect(await fanOutBump(roomId, arrivedAt)).toBe(2);
    expect(await fanOutBump(roomId, arrivedAt)).toBe(2);
    for (const user of [alice, bob]) {
      const inRoom = (await entriesOf(user.userId)).filter((e) => e.roomId === roomId);
      expect(inRoom).toEqual([{ roomId, bumpStamp: arrivedAt, membership: 'join' }]);
      expect(await roomActivity.key(user.userId).count({ consistent: true })).toBe((await entriesOf(user.userId)).length);
    }

    expect((await bob.client.post(`${v3}/rooms/${encodeURIComponent(roomId)}/leave`, {})).status).toBe(200);
    expect((await entriesOf(bob.userId)).filter((e) => e.roomId === roomId)).toEqual([]);
  });

  it("builds a user's rooms from before the index on their first sliding sync", async () => {
    const carol = await registerUser(new TestClient(runtime.httpUrl));
    const rooms = [await createRoom(carol.client, { name: 'a' }), await createRoom(carol.client, { name: 'b' })];
    // As if joined before the index existed: no entries, never built.
    const stored = await entriesOf(carol.userId);
    expect(stored.map((e) => e.roomId).sort()).toEqual([...rooms].sort());
    await commit(stored.map((e) => roomActivity.key(carol.userId).key(activityKey(e.bumpStamp, e.roomId)).remove()));
    expect(await roomActivityBuilt.key(carol.userId).get({ consistent: true })).toBeUndefined();

    const res = await slidingSync(carol.client, { lists: { all: { ranges: [[0, 9]], timeline_limit: 0, required_state: [] } } });
    expect(res.lists?.all?.count).toBe(2);
    expect(Object.keys(res.rooms ?? {}).sort()).toEqual([...rooms].sort());
    expect((await entriesOf(carol.userId)).map((e) => e.roomId).sort()).toEqual([...rooms].sort());
    expect(await roomActivityBuilt.key(carol.userId).get({ consistent: true })).toBeDefined();
  });
});
