// matrix-js-sdk, the library behind Element, driving Axon through its own calls: registration,
// rooms, invites, messages, history and the sync loop (startClient → PREPARED, live events).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientEvent,
  createClient,
  Direction,
  EventType,
  MsgType,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';

/** Register through the SDK's own UIA handling (m.login.dummy). */
async function registerWithSdk(baseUrl: string, username: string): Promise<MatrixClient> {
  const anonymous = createClient({ baseUrl });
  const auth = await anonymous.registerRequest({ username, password: 'correct horse battery staple' }).catch((e: { data?: { session?: string } }) => {
    // The first call answers 401 with the flows and a session, as the spec's UIA says.
    if (!e.data?.session) throw e;
    return anonymous.registerRequest({ username, password: 'correct horse battery staple', auth: { type: 'm.login.dummy', session: e.data.session } });
  });
  expect(auth.user_id).toBe(`@${username}:localhost`);
  return createClient({ baseUrl, accessToken: auth.access_token!, userId: auth.user_id, deviceId: auth.device_id });
}

quietSdk();

describe('matrix-js-sdk against Axon', () => {
  let runtime: LocalRuntime;
  const started: MatrixClient[] = [];
  beforeAll(async () => {
    runtime = await startTestRuntime('js-sdk');
  });
  afterAll(async () => {
    for (const client of started) client.stopClient();
    await runtime?.stop();
  });

  it('registers, creates a room, invites, joins, sends and paginates history', async () => {
    const alice = await registerWithSdk(runtime.httpUrl, 'alice');
    const bob = await registerWithSdk(runtime.httpUrl, 'bob');
    expect((await alice.whoami()).user_id).toBe('@alice:localhost');

    const { room_id: roomId } = await alice.createRoom({ name: 'Plans', preset: 'private_chat' as never });
    await alice.invite(roomId, '@bob:localhost');
    await bob.joinRoom(roomId);
    const members = await alice.getJoinedRoomMembers(roomId);
    expect(Object.keys(members.joined).sort()).toEqual(['@alice:localhost', '@bob:localhost']);

    const sent: string[] = [];
    for (let i = 0; i < 25; i++) {
      const { event_id } = await (i % 2 ? bob : alice).sendTextMessage(roomId, `message ${i}`);
      sent.push(event_id);
    }

    // Page backwards through history with the SDK's own /messages call.
    const seen: string[] = [];
    let from: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await bob.createMessagesRequest(roomId, from, 7, Direction.Backward);
      seen.push(...res.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.event_id));
      if (!res.end || res.chunk.length === 0) break;
      from = res.end;
    }
    expect(seen.reverse()).toEqual(sent);
  });

  it('two syncing clients reach PREPARED and see invites, joins and messages live', async () => {
    const carol = await registerWithSdk(runtime.httpUrl, 'carol');
    const dave = await registerWithSdk(runtime.httpUrl, 'dave');
    for (const client of [carol, dave]) {
      const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), 'PREPARED');
      await client.startClient({ initialSyncLimit: 10 });
      started.push(client);
      await prepared;
    }

    const invited = waitFor<string>(
      (done) => dave.on(RoomMemberEvent.Membership, (_e, member) => member.userId === '@dave:localhost' && member.membership === 'invite' && done(member.roomId)),
      'dave sees his invite',
    );
    const { room_id: roomId } = await carol.createRoom({ name: 'Live', invite: ['@dave:localhost'] });
    expect(await invited).toBe(roomId);

    const joinSeen = waitFor<void>(
      (done) => carol.on(RoomMemberEvent.Membership, (_e, member) => member.userId === '@dave:localhost' && member.membership === 'join' && done()),
      'carol sees dave join',
    );
    await dave.joinRoom(roomId);
    await joinSeen;

    const received = waitFor<MatrixEvent>(
      (done) => dave.on(RoomEvent.Timeline, (event, room) => room?.roomId === roomId && event.getType() === EventType.RoomMessage && done(event)),
      'dave receives the message',
    );
    await carol.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hello dave' });
    const event = await received;
    expect(event.getContent().body).toBe('hello dave');
    expect(event.getSender()).toBe('@carol:localhost');
  });
});
