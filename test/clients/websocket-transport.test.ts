// matrix-js-sdk over Axon's WebSocket channel (lib/clients/matrix-js-sdk-websocket.ts): two clients
// whose /sync long-polls are answered from pushed frames see each other's messages, typing
// (RoomMember.typing), read receipts (Room.receipt) and presence (User.presence). Proof that the
// deliveries came over the WebSocket: the HTTP /sync requests are counted at the HTTP fetch the
// transport was given, and none is made once the channel is live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClientEvent, createClient, RoomEvent, RoomMemberEvent, SetPresence, SyncState, UserEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { createWebSocketSyncTransport, type WebSocketLike, type WebSocketSyncTransport } from '../../lib/clients/matrix-js-sdk-websocket.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { quietSdk, waitFor } from '../support/sdk.ts';

quietSdk();

interface Member {
  client: MatrixClient;
  transport: WebSocketSyncTransport;
  /** GET /sync requests that reached HTTP. */
  httpSyncs: () => number;
}

async function until(ok: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('matrix-js-sdk over the WebSocket channel', () => {
  let runtime: LocalRuntime;
  let carol: Member;
  let dave: Member;
  let roomId: string;
  let httpSyncsWhenLive: number;

  function connect(user: RegisteredUser): Member {
    let syncs = 0;
    const countingFetch: typeof fetch = (input, init) => {
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (new URL(href).pathname.endsWith('/sync')) syncs++;
      return fetch(input, init);
    };
    const transport = createWebSocketSyncTransport({
      webSocketUrl: runtime.wsUrl,
      WebSocket: WebSocket as unknown as new (url: string) => WebSocketLike,
      fetch: countingFetch,
    });
    const client = createClient({ baseUrl: runtime.httpUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId, fetchFn: transport.fetchFn });
    return { client, transport, httpSyncs: () => syncs };
  }

  beforeAll(async () => {
    runtime = await startTestRuntime('ws-transport');
    const anonymous = new TestClient(runtime.httpUrl);
    const [c, d] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    carol = connect(c);
    dave = connect(d);
    ({ room_id: roomId } = await carol.client.createRoom({ preset: 'public_chat' as never }));
    await dave.client.joinRoom(roomId);
    for (const { client } of [carol, dave]) {
      const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), 'PREPARED');
      await client.startClient({ initialSyncLimit: 10 });
      await prepared;
    }
    // The initial sync and one catch-up after connecting went over HTTP; from here on, frames.
    await until(() => carol.transport.live && dave.transport.live, 'both channels live');
    httpSyncsWhenLive = carol.httpSyncs() + dave.httpSyncs();
  }, 120_000);
  afterAll(async () => {
    for (const m of [carol, dave]) {
      m?.client.stopClient();
      m?.transport.close();
    }
    await runtime?.stop();
  });

  it('went live after the initial sync and one catch-up over HTTP', () => {
    for (const m of [carol, dave]) {
      expect(m.transport.stats.connects).toBe(1);
      expect(m.httpSyncs()).toBe(2);
    }
  });

  it('delivers messages', async () => {
    const received = waitFor<MatrixEvent>(
      (done) => dave.client.on(RoomEvent.Timeline, (event, room) => room?.roomId === roomId && event.getContent().body === 'over the socket' && done(event)),
      'dave receives the message',
    );
    const { event_id: eventId } = await carol.client.sendTextMessage(roomId, 'over the socket');
    expect((await received).getId()).toBe(eventId);
  });

  it('shows typing to the other member, and its end', async () => {
    const typing = waitFor<void>(
      (done) => dave.client.on(RoomMemberEvent.Typing, (_e, member) => member.userId === carol.client.getUserId() && member.typing && done()),
      'dave sees carol typing',
    );
    await carol.client.sendTyping(roomId, true, 20_000);
    await typing;
    const stopped = waitFor<void>(
      (done) => dave.client.on(RoomMemberEvent.Typing, (_e, member) => member.userId === carol.client.getUserId() && !member.typing && done()),
      'dave sees carol stop',
    );
    await carol.client.sendTyping(roomId, false, 0);
    await stopped;
  });

  it('delivers read receipts', async () => {
    const arrived = waitFor<MatrixEvent>(
      (done) => dave.client.on(RoomEvent.Timeline, (event, room) => room?.roomId === roomId && event.getContent().body === 'read me' && done(event)),
      'dave receives the message',
    );
    await carol.client.sendTextMessage(roomId, 'read me');
    const event = await arrived;
    const receipt = waitFor<void>(
      (done) =>
        carol.client.on(RoomEvent.Receipt, (_e, room) => room.getReadReceiptForUserId(dave.client.getUserId()!)?.eventId === event.getId() && done()),
      'carol sees dave read it',
    );
    await dave.client.sendReadReceipt(event);
    await receipt;
    expect(carol.client.getRoom(roomId)!.getUsersReadUpTo(event)).toContain(dave.client.getUserId());
  });

  it('delivers presence with its status message', async () => {
    const seen = waitFor<void>(
      (done) =>
        carol.client.on(
          UserEvent.LastPresenceTs,
          (_e, user) => user.userId === dave.client.getUserId() && user.presence === 'unavailable' && user.presenceStatusMsg === 'in a meeting' && done(),
        ),
      'carol sees dave away',
    );
    // As Element does when its user goes away: the sync loop's presence follows the explicit one.
    dave.client.setSyncPresence(SetPresence.Unavailable);
    await dave.client.setPresence({ presence: 'unavailable', status_msg: 'in a meeting' });
    await seen;
    expect(carol.client.getUser(dave.client.getUserId()!)?.presence).toBe('unavailable');
  });

  it('made no HTTP /sync once live: every delivery above came over the WebSocket', () => {
    expect(carol.httpSyncs() + dave.httpSyncs()).toBe(httpSyncsWhenLive);
    for (const m of [carol, dave]) {
      expect(m.transport.live).toBe(true);
      expect(m.transport.stats.frames).toBeGreaterThan(0);
      expect(m.transport.stats.frameSyncs).toBeGreaterThan(0);
    }
  });

  it('fetches the state of a room joined while connected with one HTTP catch-up, then goes on over frames', async () => {
    const before = [carol.httpSyncs(), dave.httpSyncs()];
    const invited = waitFor<string>(
      (done) => dave.client.on(RoomMemberEvent.Membership, (_e, member) => member.userId === dave.client.getUserId() && member.membership === 'invite' && done(member.roomId)),
      'dave sees his invite',
    );
    const { room_id: newRoom } = await carol.client.createRoom({ name: 'Joined live', invite: [dave.client.getUserId()!] });
    expect(await invited).toBe(newRoom);
    const joined = waitFor<void>(
      (done) => carol.client.on(RoomMemberEvent.Membership, (_e, member) => member.roomId === newRoom && member.userId === dave.client.getUserId() && member.membership === 'join' && done()),
      'carol sees dave join',
    );
    await dave.client.joinRoom(newRoom);
    await joined;
    const received = waitFor<void>(
      (done) => dave.client.on(RoomEvent.Timeline, (event, room) => room?.roomId === newRoom && event.getContent().body === 'welcome' && done()),
      'dave receives the message in the new room',
    );
    await carol.client.sendTextMessage(newRoom, 'welcome');
    await received;
    // The room's state came with the catch-up: the SDK knows its name and both members.
    expect(dave.client.getRoom(newRoom)?.name).toBe('Joined live');
    expect(dave.client.getRoom(newRoom)?.getJoinedMemberCount()).toBe(2);
    // One catch-up each: carol's when her new room's first frame came, dave's when his join's did.
    expect([carol.httpSyncs() - before[0]!, dave.httpSyncs() - before[1]!]).toEqual([1, 1]);
    expect(carol.transport.live && dave.transport.live).toBe(true);
  });
});
