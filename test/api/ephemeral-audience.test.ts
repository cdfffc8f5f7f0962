// Who gets a room's typing, receipts and its members' presence over the WebSocket channel: its
// joined members only. The room's online list is a registration that outlives a kick and may hold
// an invitee or a knocker, so every delivery checks the recipients' current membership.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { EphemeralChanges } from '../../lib/matrix/ephemeral/fold.ts';
import { deliveriesOf } from '../../lib/matrix/ephemeral/notify.ts';
import { receiptKey } from '../../lib/matrix/ephemeral/receipts.ts';
import { onlineMembers } from '../../lib/matrix/sync/wake.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { eventually, open, type Socket } from '../support/websocket.ts';
import { createRoom, membershipOf, path, send } from './rooms-support.ts';

interface Frame {
  type: string;
  data?: {
    rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: Record<string, unknown> }[] } }> };
    presence?: { events: { sender: string }[] };
  };
}

const typingIn = (roomId: string) => (f: Frame) =>
  (f.data?.rooms?.join?.[roomId]?.ephemeral?.events ?? []).find((e) => e.type === 'm.typing')?.content.user_ids as string[] | undefined;

describe('ephemeral pushes reach joined members only', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  /** invited, knocking, kicked, banned, left: all online in the room's list, none joined. */
  let others: Record<'invited' | 'knocking' | 'kicked' | 'banned' | 'left', RegisteredUser>;
  let roomId: string;
  const sockets: Socket<Frame>[] = [];
  let bobSocket: Socket<Frame>;
  let otherSockets: Record<string, Socket<Frame>>;

  beforeAll(async () => {
    runtime = await startTestRuntime('ephemeral-audience');
    const anonymous = new TestClient(runtime.httpUrl);
    const [a, b, invited, knocking, kicked, banned, left] = await Promise.all(Array.from({ length: 7 }, () => registerUser(anonymous)));
    [alice, bob] = [a!, b!];
    others = { invited: invited!, knocking: knocking!, kicked: kicked!, banned: banned!, left: left! };
    roomId = await createRoom(alice.client, {
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    for (const user of [bob, others.kicked, others.banned, others.left]) {
      expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: user.userId })).status).toBe(200);
      expect((await user.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    }
    // Everyone connects while the three are still joined: each connection registers them online in the room.
    for (const user of [alice, bob, ...Object.values(others)]) sockets.push(await open<Frame>(runtime.wsUrl, { access_token: user.accessToken }));
    bobSocket = sockets[1]!;
    otherSockets = Object.fromEntries(Object.keys(others).map((k, i) => [k, sockets[2 + i]!]));
    expect((await alice.client.post(path.room(roomId, 'kick'), { user_id: others.kicked.userId })).status).toBe(200);
    expect((await alice.client.post(path.room(roomId, 'ban'), { user_id: others.banned.userId })).status).toBe(200);
    expect((await others.left.client.post(path.room(roomId, 'leave'), {})).status).toBe(200);
    expect((await alice.client.post(path.room(roomId, 'invite'), { user_id: others.invited.userId })).status).toBe(200);
    expect((await others.knocking.client.post(`${path.v3}/knock/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    expect(await membershipOf(roomId, others.knocking.userId)).toBe('knock');
    // The online list still names them all: this is the list deliveries start from.
    await eventually(async () => {
      const online = await onlineMembers(roomId);
      return Object.values(others).every((u) => online.includes(u.userId));
    });
  }, 300_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await runtime?.stop();
  });

  it('a batch’s typing, receipts and presence go to the joined online members, not to the rest of the online list', async () => {
    const eventId = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'read me' })).body.event_id;
    const now = Date.now();
    const changes: EphemeralChanges = {
      typing: new Map([[roomId, [alice.userId]]]),
      receipts: new Map([[roomId, [[receiptKey('m.read', '', alice.userId), { eventId, ts: now, threadId: '', position: 1, seq: '1' }]]]]),
      presence: new Map([[alice.userId, { presence: 'online', lastActiveTs: now, statusMsg: '', activeDeviceId: '' }]]),
      seq: '1',
      shardId: 's',
    };
    const deliveries = await deliveriesOf(changes, now);
    expect(deliveries.get(bob.userId)?.rooms.get(roomId)?.map((e) => e.type)).toEqual(['m.typing', 'm.receipt']);
    expect(deliveries.get(bob.userId)?.presence).toHaveLength(1);
    for (const [role, user] of Object.entries(others)) expect({ role, delivery: deliveries.get(user.userId) }).toEqual({ role, delivery: undefined });
  });

  it('over the channel: bob sees alice type and stop, the others see neither', async () => {
    const aliceSocket = sockets[0]!;
    aliceSocket.send({ action: 'typing', room_id: roomId, typing: true, timeout: 30_000 });
    await bobSocket.next((f) => typingIn(roomId)(f)?.includes(alice.userId) === true);
    // A later batch of the same room (same shard, folded and pushed after the first): once bob has
    // it, the first batch's pushes are done for everyone.
    aliceSocket.send({ action: 'typing', room_id: roomId, typing: false });
    await bobSocket.next((f) => typingIn(roomId)(f)?.length === 0);
    for (const [role, socket] of Object.entries(otherSockets)) {
      expect({ role, typing: socket.frames.filter((f) => typingIn(roomId)(f)?.includes(alice.userId)) }).toEqual({ role, typing: [] });
    }
  });
});
