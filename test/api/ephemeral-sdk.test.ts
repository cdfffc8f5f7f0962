// matrix-js-sdk clients (the library behind Element) see each other's typing (RoomMember.typing),
// read receipts (Room.receipt) and presence (User.presence) through their own /sync loops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientEvent, createClient, RoomEvent, RoomMemberEvent, SetPresence, SyncState, UserEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';

quietSdk();

describe('matrix-js-sdk sees typing, receipts and presence', () => {
  let runtime: LocalRuntime;
  let carol: MatrixClient;
  let dave: MatrixClient;
  let roomId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('ephemeral-sdk');
    const anonymous = new TestClient(runtime.httpUrl);
    const [c, d] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    carol = createClient({ baseUrl: runtime.httpUrl, accessToken: c.accessToken, userId: c.userId, deviceId: c.deviceId });
    dave = createClient({ baseUrl: runtime.httpUrl, accessToken: d.accessToken, userId: d.userId, deviceId: d.deviceId });
    ({ room_id: roomId } = await carol.createRoom({ preset: 'public_chat' as never }));
    await dave.joinRoom(roomId);
    for (const client of [carol, dave]) {
      const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), 'PREPARED');
      await client.startClient({ initialSyncLimit: 10 });
      await prepared;
    }
  }, 120_000);
  afterAll(async () => {
    carol?.stopClient();
    dave?.stopClient();
    await runtime?.stop();
  });

  it('shows typing to the other member, and its end', async () => {
    // The SDK fires Typing only when a member's state changes: a retried test whose first attempt's
    // typing arrived late starts with carol already typing, so the state seen so far counts too.
    const carolTyping = () => dave.getRoom(roomId)?.getMember(carol.getUserId()!)?.typing;
    const typing = waitFor<void>((done) => {
      dave.on(RoomMemberEvent.Typing, (_e, member) => member.userId === carol.getUserId() && member.typing && done());
      if (carolTyping()) done();
    }, 'dave sees carol typing');
    await carol.sendTyping(roomId, true, 20_000);
    await typing;
    const stopped = waitFor<void>(
      (done) => dave.on(RoomMemberEvent.Typing, (_e, member) => member.userId === carol.getUserId() && !member.typing && done()),
      'dave sees carol stop',
    );
    await carol.sendTyping(roomId, false, 0);
    await stopped;
  });

  it('delivers read receipts', async () => {
    const { event_id: eventId } = await carol.sendTextMessage(roomId, 'read me');
    const arrived = waitFor<MatrixEvent>(
      (done) => dave.on(RoomEvent.Timeline, (event) => event.getId() === eventId && done(event)),
      'dave receives the message',
    );
    const event = await arrived;
    const receipt = waitFor<void>(
      (done) => carol.on(RoomEvent.Receipt, (_e, room) => room.getReadReceiptForUserId(dave.getUserId()!)?.eventId === eventId && done()),
      'carol sees dave read it',
    );
    await dave.sendReadReceipt(event);
    await receipt;
    expect(carol.getRoom(roomId)!.getUsersReadUpTo(event)).toContain(dave.getUserId());
  });

  it('delivers presence with its status message', async () => {
    const seen = waitFor<void>(
      // LastPresenceTs fires for every presence event; Presence only when the state changes, so a
      // first event with the state and a later one with the message would never fire it again.
      (done) =>
        carol.on(
          UserEvent.LastPresenceTs,
          (_e, user) => user.userId === dave.getUserId() && user.presence === 'unavailable' && user.presenceStatusMsg === 'in a meeting' && done(),
        ),
      'carol sees dave present',
    );
    // A /sync without set_presence marks its user online (spec: set_presence defaults to online), so
    // dave's own sync loop would race his PUT back to online; set his loop's presence as Element does.
    await dave.setSyncPresence(SetPresence.Unavailable);
    await dave.setPresence({ presence: 'unavailable', status_msg: 'in a meeting' });
    await seen;
    expect(carol.getUser(dave.getUserId()!)?.presence).toBe('unavailable');
  });
});
