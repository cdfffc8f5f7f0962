// matrix-js-sdk over Axon's WebSocket channel (lib/clients/matrix-js-sdk-websocket.ts): two clients
// whose /sync long-polls are answered from pushed frames see each other's messages, typing
// (RoomMember.typing), read receipts (Room.receipt) and presence (User.presence). Proof that the
// deliveries came over the WebSocket: the HTTP /sync requests are counted at the HTTP fetch the
// transport was given, and none is made once the channel is live. A to-device message, which no
// frame carries, arrives through a sync_needed frame and exactly one HTTP catch-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClientEvent, createClient, RoomEvent, RoomMemberEvent, SetPresence, SyncState, UserEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { createWebSocketSyncTransport, type WebSocketLike, type WebSocketSyncTransport } from '../../lib/clients/matrix-js-sdk-websocket.ts';
import { closeConnection } from '../../lib/core/websocket-connections.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { userConnections } from '../../lib/matrix/push/connections.ts';
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

/**
 * `ws`'s WebSocket behind a gate: a connection opens only once `gate()` resolves, so a test can hold
 * a reconnect back while something happens.
 */
function gatedWebSocket(gate: () => Promise<void>): new (url: string) => WebSocketLike {
  return class implements WebSocketLike {
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    private socket: WebSocket | undefined;
    private closed = false;
    constructor(url: string) {
      void gate().then(() => {
        if (this.closed) return;
        const socket = (this.socket = new WebSocket(url));
        socket.onopen = (e) => this.onopen?.(e);
        socket.onmessage = (e) => this.onmessage?.({ data: e.data });
        socket.onclose = (e) => this.onclose?.(e);
        socket.onerror = (e) => this.onerror?.(e);
      });
    }
    send(data: string) {
      this.socket?.send(data);
    }
    close() {
      this.closed = true;
      this.socket?.close();
    }
  };
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
  /** Connections open once this resolves (replaced to hold a reconnect back). */
  let gate: Promise<void> = Promise.resolve();

  function connect(user: RegisteredUser): Member {
    let syncs = 0;
    const countingFetch: typeof fetch = (input, init) => {
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (new URL(href).pathname.endsWith('/sync')) syncs++;
      return fetch(input, init);
    };
    const transport = createWebSocketSyncTransport({
      webSocketUrl: runtime.wsUrl,
      WebSocket: gatedWebSocket(() => gate),
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

  it('reconnects after the server closed the connection and catches up over HTTP: nothing sent meanwhile is missed', async () => {
    const [connection] = await userConnections(dave.client.getUserId()!);
    expect(connection).toBeDefined();
    const connects = dave.transport.stats.connects;
    const httpSyncs = dave.httpSyncs();
    let reopen!: () => void;
    gate = new Promise<void>((resolve) => (reopen = resolve));
    await closeConnection(connection!.connectionId);
    await until(() => !dave.transport.live, 'the transport notices the close');
    // Committed while dave has no connection (his reconnect is held back): only the catch-up can bring it.
    const received = waitFor<void>(
      (done) => dave.client.on(RoomEvent.Timeline, (event, room) => room?.roomId === roomId && event.getContent().body === 'while you were away' && done()),
      'dave receives the message sent while disconnected',
    );
    await carol.client.sendTextMessage(roomId, 'while you were away');
    reopen();
    await received;
    await until(() => dave.transport.live, 'live again');
    expect(dave.transport.stats.connects).toBe(connects + 1);
    expect(dave.httpSyncs()).toBe(httpSyncs + 1);
    // And frames flow again on the new connection.
    const next = waitFor<void>(
      (done) => dave.client.on(RoomEvent.Timeline, (event, room) => room?.roomId === roomId && event.getContent().body === 'welcome back' && done()),
      'dave receives the next message',
    );
    await carol.client.sendTextMessage(roomId, 'welcome back');
    await next;
    expect(dave.httpSyncs()).toBe(httpSyncs + 1);
  });

  it('delivers a to-device message (ClientEvent.ToDeviceEvent) through a sync_needed frame and exactly one HTTP catch-up', async () => {
    const before = [carol.httpSyncs(), dave.httpSyncs()];
    const nudges = dave.transport.stats.nudges;
    const received = waitFor<MatrixEvent>(
      (done) => dave.client.on(ClientEvent.ToDeviceEvent, (event) => event.getType() === 'org.axon.test.key' && done(event)),
      'dave receives the to-device message',
    );
    const daveDevice = dave.client.getDeviceId()!;
    await carol.client.sendToDevice('org.axon.test.key', new Map([[dave.client.getUserId()!, new Map([[daveDevice, { session: 'abc' }]])]]));
    const event = await received;
    expect(event.getSender()).toBe(carol.client.getUserId());
    expect(event.getContent()).toEqual({ session: 'abc' });
    expect(dave.transport.stats.nudges).toBe(nudges + 1);

    // The sync loop goes on over frames: the next message comes without another HTTP /sync.
    const next = waitFor<void>(
      (done) => dave.client.on(RoomEvent.Timeline, (e, room) => room?.roomId === roomId && e.getContent().body === 'after the key' && done()),
      'dave receives the next message',
    );
    await carol.client.sendTextMessage(roomId, 'after the key');
    await next;
    expect([carol.httpSyncs() - before[0]!, dave.httpSyncs() - before[1]!]).toEqual([0, 1]);
    expect(dave.transport.live).toBe(true);
  });
});
