// A WebSocket connection lives as long as the access token it was opened with: every way of
// revoking tokens (logout, logout/all, a password change, device deletion, deactivation, a login
// reusing the device id) closes the connections opened with them before the request answers, no
// frame reaches them afterwards, and a connection whose token is gone has its actions refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../lib/core/pstate/index.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { accessTokens, connections } from '../../lib/matrix/pstates.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { connect, eventually, open, type Socket } from '../support/websocket.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface Frame {
  type: string;
  errcode?: string;
  data?: { rooms?: { join?: Record<string, { timeline?: { events: { event_id: string }[] } }> } };
}

const PASSWORD = 'correct horse battery staple';
const passwordAuth = (user: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: PASSWORD });
const carries = (roomId: string, eventId: string) => (f: Frame) => (f.data?.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e) => e.event_id === eventId);

async function recordedDevices(userId: string): Promise<string[]> {
  return (await connections.key(userId).entries({ consistent: true })).map(([, c]) => c.deviceId!);
}

describe('WebSocket connections end with their token', () => {
  let runtime: LocalRuntime;
  let bob: RegisteredUser;
  const sockets: Socket<Frame>[] = [];
  const openAs = async (user: RegisteredUser) => {
    const socket = await open<Frame>(runtime.wsUrl, { access_token: user.accessToken });
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime('websocket-sessions');
    bob = await registerUser(new TestClient(runtime.httpUrl));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await runtime?.stop();
  });

  /** alice with two devices (two tokens), each connected, in a room with bob. */
  async function twoDevices() {
    const first = await registerUser(new TestClient(runtime.httpUrl));
    const second = await loginUser(first.client, first.userId);
    const roomId = await createRoom(bob.client, { preset: 'public_chat' });
    expect((await first.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const [firstSocket, secondSocket] = [await openAs(first), await openAs(second)];
    return { first, second, roomId, firstSocket, secondSocket };
  }

  /** The socket is closed, its record gone when the revoking request answered, and a later message does not reach it. */
  async function expectEnded(socket: Socket<Frame>, userId: string, deviceId: string, roomId: string) {
    expect(await recordedDevices(userId)).not.toContain(deviceId);
    await eventually(async () => socket.closed);
    const after = socket.frames.length;
    const message = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'after the revocation' })).body.event_id;
    return { after, message };
  }

  it('/logout closes that device’s connection at once; the other device keeps receiving', async () => {
    const { first, second, roomId, firstSocket, secondSocket } = await twoDevices();
    expect((await first.client.post(`${path.v3}/logout`, {})).status).toBe(200);
    const { after, message } = await expectEnded(firstSocket, first.userId, first.deviceId, roomId);
    await secondSocket.next(carries(roomId, message));
    expect(firstSocket.frames.slice(after)).toEqual([]);
    expect(await recordedDevices(first.userId)).toEqual([second.deviceId]);
  });

  it('/logout/all closes every connection of the user', async () => {
    const { first, second, roomId, firstSocket, secondSocket } = await twoDevices();
    expect((await second.client.post(`${path.v3}/logout/all`, {})).status).toBe(200);
    await expectEnded(firstSocket, first.userId, first.deviceId, roomId);
    await expectEnded(secondSocket, first.userId, second.deviceId, roomId);
    expect(await recordedDevices(first.userId)).toEqual([]);
  });

  it('a password change that logs out the other devices closes their connections, not its own', async () => {
    const { first, second, roomId, firstSocket, secondSocket } = await twoDevices();
    const changed = await second.client.post(`${path.v3}/account/password`, { new_password: PASSWORD, auth: passwordAuth(first.userId) });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const { message } = await expectEnded(firstSocket, first.userId, first.deviceId, roomId);
    await secondSocket.next(carries(roomId, message));
  });

  it('DELETE /devices/{id} and /delete_devices close the deleted devices’ connections', async () => {
    const { first, second, roomId, firstSocket, secondSocket } = await twoDevices();
    const third = await loginUser(first.client, first.userId);
    const thirdSocket = await openAs(third);
    const deleted = await second.client.delete(`${path.v3}/devices/${encodeURIComponent(first.deviceId)}`, { auth: passwordAuth(first.userId) });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    await expectEnded(firstSocket, first.userId, first.deviceId, roomId);
    const batch = await second.client.post(`${path.v3}/delete_devices`, { devices: [third.deviceId], auth: passwordAuth(first.userId) });
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    const { message } = await expectEnded(thirdSocket, first.userId, third.deviceId, roomId);
    await secondSocket.next(carries(roomId, message));
  });

  it('deactivation closes every connection of the account', async () => {
    const { first, second, roomId, firstSocket, secondSocket } = await twoDevices();
    const res = await first.client.post(`${path.v3}/account/deactivate`, { auth: passwordAuth(first.userId) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await expectEnded(firstSocket, first.userId, first.deviceId, roomId);
    await expectEnded(secondSocket, first.userId, second.deviceId, roomId);
  });

  it('a login that reuses a device id ends the connection of the device’s old token', async () => {
    const { first, roomId, firstSocket, secondSocket } = await twoDevices();
    const again = await new TestClient(runtime.httpUrl).post<{ access_token: string }>(`${path.v3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: first.userId },
      password: PASSWORD,
      device_id: first.deviceId,
    });
    expect(again.status).toBe(200);
    // The users topology drops it right after the login commits (the login answers at the commit).
    await eventually(async () => firstSocket.closed);
    const message = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'new token' })).body.event_id;
    await secondSocket.next(carries(roomId, message));
    // A connection opened with the new token is fine.
    const renewed = await openAs({ ...first, accessToken: again.body.access_token });
    renewed.send({ action: 'ping' });
    expect(await renewed.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
  });

  it('a connection whose token is gone has its actions refused and is closed', async () => {
    const { first, second, firstSocket } = await twoDevices();
    // The token disappears without any sweep (as if the revoking request had crashed after its commit).
    const stored = (await connections.key(first.userId).entries({ consistent: true })).find(([, c]) => c.deviceId === first.deviceId)![1];
    expect((await accessTokens.key(stored.tokenHash!).get({ consistent: true }))?.deviceId).toBe(first.deviceId);
    await commit([accessTokens.key(stored.tokenHash!).remove()]);
    firstSocket.send({ action: 'typing', room_id: '!any:localhost', typing: true });
    expect(await firstSocket.next((f) => f.type === 'error')).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
    await eventually(async () => firstSocket.closed);
    expect(await recordedDevices(first.userId)).toEqual([second.deviceId]);
    // and the handshake with that token is refused
    expect(await connect(runtime.wsUrl, { access_token: first.accessToken })).toEqual({ ok: false, status: 401 });
  });

  it('a connect racing a logout never leaves a connection whose token is gone', async () => {
    const alice = await registerUser(new TestClient(runtime.httpUrl));
    for (let round = 0; round < 6; round++) {
      const device = await loginUser(alice.client, alice.userId);
      const [handshake] = await Promise.all([
        connect<Frame>(runtime.wsUrl, { access_token: device.accessToken }),
        // a little later each round, so the logout lands at different points of the handshake
        new Promise((r) => setTimeout(r, round * 15)).then(() => device.client.post(`${path.v3}/logout`, {})),
      ]);
      if (handshake.ok) {
        sockets.push(handshake.socket);
        await eventually(async () => handshake.socket.closed);
      } else {
        expect(handshake.status).toBe(401);
      }
      expect(await recordedDevices(alice.userId)).not.toContain(device.deviceId);
    }
  });
});
