// matrix-js-sdk (Element's library) through its own calls: a syncing client knocks, sees its room
// as `knock`, is let in by an invite and joins; then the room is upgraded and the SDK links the
// replacement to its predecessor and sees the old room's tombstone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientEvent, createClient, RoomEvent, RoomMemberEvent, SyncState, type MatrixClient, type Room } from 'matrix-js-sdk';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';

quietSdk();

describe('knock and upgrade through matrix-js-sdk', () => {
  let runtime: LocalRuntime;
  const started: MatrixClient[] = [];
  beforeAll(async () => {
    runtime = await startTestRuntime('knock-sdk');
  });
  afterAll(async () => {
    for (const client of started) client.stopClient();
    await runtime?.stop();
  });

  async function syncingClient(): Promise<MatrixClient> {
    const user = await registerUser(new TestClient(runtime.httpUrl));
    const client = createClient({ baseUrl: runtime.httpUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId });
    const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), 'PREPARED');
    await client.startClient({ initialSyncLimit: 10 });
    started.push(client);
    await prepared;
    return client;
  }

  /** Resolves once `client` holds `roomId` with its own membership `membership`. */
  const myMembership = (client: MatrixClient, roomId: string, membership: string) =>
    waitFor<void>((done) => {
      const check = (room: Room | null | undefined) => room?.roomId === roomId && room.getMyMembership() === membership && done();
      client.on(RoomEvent.MyMembership, (room) => check(room));
      client.on(ClientEvent.Room, (room) => check(room));
      check(client.getRoom(roomId));
    }, `${membership} in ${roomId}`);

  it('knocks, is invited and joins; an upgrade is followed from the tombstone to the predecessor', async () => {
    const [alice, bob] = await Promise.all([syncingClient(), syncingClient()]);
    const { room_id: roomId } = await alice.createRoom({
      name: 'Door',
      preset: 'private_chat' as never,
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });

    const knockSeen = waitFor<void>(
      (done) => alice.on(RoomMemberEvent.Membership, (_e, member) => member.roomId === roomId && member.userId === bob.getUserId() && member.membership === 'knock' && done()),
      'the knock in the room',
    );
    const knocked = myMembership(bob, roomId, 'knock');
    expect(await bob.knockRoom(roomId, { reason: 'hello' })).toEqual({ room_id: roomId });
    await knocked;
    await knockSeen;
    // the knock_state names the room for the knocker (the SDK computes the name after the membership)
    await waitFor<void>((done) => {
      const check = () => bob.getRoom(roomId)?.name === 'Door' && done();
      bob.on(ClientEvent.Sync, check);
      check();
    }, 'the knocked room name');

    const invited = myMembership(bob, roomId, 'invite');
    await alice.invite(roomId, bob.getUserId()!);
    await invited;
    const joined = myMembership(bob, roomId, 'join');
    await bob.joinRoom(roomId);
    await joined;

    const tombstoned = waitFor<string>((done) => {
      bob.on(RoomEvent.Timeline, (event) => event.getRoomId() === roomId && event.getType() === 'm.room.tombstone' && done(event.getContent().replacement_room as string));
    }, 'the tombstone');
    const { replacement_room: replacement } = await alice.upgradeRoom(roomId, '11');
    expect(await tombstoned).toBe(replacement);
    // The SDK links the rooms both ways once its sync holds both: verifyLinks checks that the old
    // room's tombstone and the new room's predecessor name each other.
    await waitFor<void>((done) => {
      const check = () => alice.getRoomUpgradeHistory(roomId, true).map((room) => room.roomId).join() === [roomId, replacement].join() && done();
      alice.on(ClientEvent.Sync, check);
      check();
    }, 'the upgrade history');
    // the replacement keeps the knock rule: bob knocks again, and is let in again
    await expect(bob.joinRoom(replacement)).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    expect(await bob.knockRoom(replacement)).toEqual({ room_id: replacement });
    await alice.invite(replacement, bob.getUserId()!);
    await bob.joinRoom(replacement);
    expect(Object.keys((await alice.getJoinedRoomMembers(replacement)).joined).sort()).toEqual([alice.getUserId(), bob.getUserId()].sort());
  });
});
