// The sync guarantee under concurrency: while several writers send into shared rooms, readers that
// follow /sync chains (random short long-poll timeouts) end with every event of their rooms
// exactly once, in room order, with no gap. Scaled for CI: 3 writers × 40 messages, 2 rooms,
// 2 readers; AXON_TEST_SCALE=full runs the size issue 5 asks for (5 writers × 200 messages,
// 3 rooms, 4 readers). Run against the sync service and the sync function (the Lambda route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { RegisteredUser } from '../support/accounts.ts';
import { startTestRuntime, type SyncRoute } from '../support/runtime.ts';
import { path, send, timelineOf, writersAndReadersInRooms } from './rooms-support.ts';

const FULL = process.env.AXON_TEST_SCALE === 'full';
const WRITERS = FULL ? 5 : 3;
const MESSAGES_PER_WRITER = FULL ? 200 : 40;
const ROOMS = FULL ? 3 : 2;
const READERS = FULL ? 4 : 2;

interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { event_id: string; type: string }[]; limited?: boolean } }> };
}

export const describeSyncConcurrency = (route: SyncRoute) => describe(`sync under concurrent writers (${route})`, () => {
  let runtime: LocalRuntime;
  let writers: RegisteredUser[];
  let readers: RegisteredUser[];
  let rooms: string[];
  beforeAll(async () => {
    runtime = await startTestRuntime(`sync-concurrency-${route}`, { sync: route });
    ({ writers, readers, rooms } = await writersAndReadersInRooms(runtime.httpUrl, { writers: WRITERS, readers: READERS, rooms: ROOMS }));
  }, 120_000);
  afterAll(() => runtime?.stop());

  it('every reader gets every event of its rooms exactly once, in room order', async () => {
    const filter = JSON.stringify({ room: { timeline: { limit: 1000 } } });
    const seen: Map<string, string[]>[] = readers.map(() => new Map(rooms.map((r) => [r, []])));
    let writing = true;
    let limitedSeen = false;

    const follow = async (reader: RegisteredUser, index: number) => {
      const record = (body: SyncResponse) => {
        for (const roomId of rooms) {
          const room = body.rooms?.join?.[roomId];
          if (!room) continue;
          if (room.timeline.limited) limitedSeen = true;
          seen[index]!.get(roomId)!.push(...room.timeline.events.map((e) => e.event_id));
        }
      };
      const first = await reader.client.get<SyncResponse>(`${path.v3}/sync?filter=${encodeURIComponent(filter)}`);
      expect(first.status).toBe(200);
      record(first.body);
      let since = first.body.next_batch;
      // Follow the chain while writers write, then until a sync comes back empty.
      for (let quiet = 0; writing || quiet < 2; ) {
        const timeout = Math.floor(Math.random() * 800);
        const res = await reader.client.get<SyncResponse>(`${path.v3}/sync?since=${encodeURIComponent(since)}&timeout=${timeout}&filter=${encodeURIComponent(filter)}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const before = [...seen[index]!.values()].reduce((n, ids) => n + ids.length, 0);
        record(res.body);
        const after = [...seen[index]!.values()].reduce((n, ids) => n + ids.length, 0);
        quiet = !writing && after === before ? quiet + 1 : 0;
        since = res.body.next_batch;
      }
    };

    const write = async (writer: RegisteredUser, w: number) => {
      for (let i = 0; i < MESSAGES_PER_WRITER; i++) {
        const res = await send(writer.client, rooms[i % rooms.length]!, { msgtype: 'm.text', body: `w${w}-${i}` });
        expect(res.status).toBe(200);
      }
    };

    const following = readers.map((reader, i) => follow(reader, i));
    await Promise.all(writers.map((writer, w) => write(writer, w)));
    writing = false;
    await Promise.all(following);

    expect(limitedSeen).toBe(false);
    for (const roomId of rooms) {
      const timeline = (await timelineOf(roomId)).map((entry) => entry.event.event_id);
      const messages = (await timelineOf(roomId)).filter((e) => e.event.type === 'm.room.message').length;
      expect(messages).toBe(Array.from({ length: MESSAGES_PER_WRITER }, (_, i) => i % ROOMS).filter((r) => rooms[r] === roomId).length * WRITERS);
      for (const [index] of readers.entries()) {
        const ids = seen[index]!.get(roomId)!;
        expect(new Set(ids).size, 'no event twice').toBe(ids.length);
        // What the reader got is exactly the room's timeline from its first event on: every
        // event once, in order, nothing missing up to the end.
        const start = timeline.indexOf(ids[0]!);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(ids).toEqual(timeline.slice(start));
      }
    }
  }, FULL ? 1_800_000 : 300_000);
});
