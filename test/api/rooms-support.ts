// Shared helpers of the rooms write-path tests: reading what the rooms topology materialised.
import { roomInfo, roomMembers, roomState, roomTimeline, type TimelineEntry } from '../../lib/matrix/pstates.ts';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import { stateKeyOf } from '../../lib/matrix/room-state.ts';
import { TestClient } from '../support/matrix-client.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';

const v3 = '/_matrix/client/v3';

export async function timelineOf(roomId: string): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await roomTimeline.key(roomId).range({ ...(cursor !== undefined ? { cursor } : {}), limit: 100, consistent: true });
    for (const [, entry] of page.entries) entries.push(entry);
    if (page.cursor === undefined) return entries;
    cursor = page.cursor;
  }
}

export async function stateEvent(roomId: string, type: string, stateKey = ''): Promise<RoomEvent | undefined> {
  return (await roomState.key(roomId).key(stateKeyOf(type, stateKey)).get({ consistent: true })) as RoomEvent | undefined;
}

export async function membershipOf(roomId: string, userId: string): Promise<string | undefined> {
  return (await roomMembers.key(roomId).key(userId).get({ consistent: true }))?.membership;
}

export async function infoOf(roomId: string) {
  return roomInfo.key(roomId).get({ consistent: true });
}

export async function createRoom(client: TestClient, body: Record<string, unknown> = {}): Promise<string> {
  const res = await client.post<{ room_id: string }>(`${v3}/createRoom`, body);
  if (res.status !== 200) throw new Error(`createRoom failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

export async function send(client: TestClient, roomId: string, body: Record<string, unknown>, txnId = `t${Math.random().toString(36).slice(2)}`) {
  return client.put<{ event_id: string }>(`${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, body);
}

export const path = {
  room: (roomId: string, rest: string) => `${v3}/rooms/${encodeURIComponent(roomId)}/${rest}`,
  v3,
};

/** Writers and readers of the concurrency tests, every one joined to each of `rooms` public rooms (created by the writers in turn). */
export async function writersAndReadersInRooms(httpUrl: string, counts: { writers: number; readers: number; rooms: number }): Promise<{ writers: RegisteredUser[]; readers: RegisteredUser[]; rooms: string[] }> {
  const anonymous = new TestClient(httpUrl);
  const users = await Promise.all(Array.from({ length: counts.writers + counts.readers }, () => registerUser(anonymous)));
  const writers = users.slice(0, counts.writers);
  const readers = users.slice(counts.writers);
  const rooms = await Promise.all(Array.from({ length: counts.rooms }, (_, r) => createRoom(writers[r % counts.writers]!.client, { preset: 'public_chat' })));
  for (const user of users) {
    for (const roomId of rooms) {
      const res = await user.client.post(path.room(roomId, 'join'), {});
      if (res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.body)}`);
    }
  }
  return { writers, readers, rooms };
}
