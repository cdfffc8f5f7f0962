// The sliding sync guarantee under concurrency, as /sync's (sync-concurrency-suite.ts): while
// several writers send into shared rooms, readers following `pos` (random short long-poll
// timeouts) with a list holding every room end with every event of their rooms exactly once, in
// room order, with no gap, and no room sent as `initial` twice. 3 writers × 30 messages, 2 rooms,
// 2 readers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { RegisteredUser } from '../support/accounts.ts';
import { startTestRuntime } from '../support/runtime.ts';
import type { SlidingSyncResponse } from '../support/sliding-sync-schema.ts';
import { send, timelineOf, writersAndReadersInRooms } from './rooms-support.ts';
import { slidingSync } from './sliding-sync-support.ts';

const WRITERS = 3;
const MESSAGES_PER_WRITER = 30;
const ROOMS = 2;
const READERS = 2;

describe('sliding sync under concurrent writers', () => {
  let runtime: LocalRuntime;
  let writers: RegisteredUser[];
  let readers: RegisteredUser[];
  let rooms: string[];
  beforeAll(async () => {
    runtime = await startTestRuntime('sliding-sync-concurrency', { sync: 'lambda' });
    ({ writers, readers, rooms } = await writersAndReadersInRooms(runtime.httpUrl, { writers: WRITERS, readers: READERS, rooms: ROOMS }));
  }, 120_000);
  afterAll(() => runtime?.stop());

  it('every reader gets every event of its rooms exactly once, in room order', async () => {
    const body = { conn_id: 'reader', lists: { all: { ranges: [[0, 9]], timeline_limit: 100, required_state: [] } } };
    const seen: Map<string, string[]>[] = readers.map(() => new Map(rooms.map((r) => [r, []])));
    const initials: Map<string, number>[] = readers.map(() => new Map());
    let writing = true;
    let limitedSeen = false;

    const follow = async (reader: RegisteredUser, index: number) => {
      const record = (res: SlidingSyncResponse) => {
        for (const roomId of rooms) {
          const room = res.rooms?.[roomId];
          if (!room) continue;
          if (room.initial) initials[index]!.set(roomId, (initials[index]!.get(roomId) ?? 0) + 1);
          else if (room.limited) limitedSeen = true;
          seen[index]!.get(roomId)!.push(...(room.timeline ?? []).map((e) => e.event_id));
        }
      };
      const first = await slidingSync(reader.client, body);
      record(first);
      let pos = first.pos;
      for (let quiet = 0; writing || quiet < 2; ) {
        const timeout = Math.floor(Math.random() * 800);
        const res = await slidingSync(reader.client, body, { pos, timeout });
        const before = [...seen[index]!.values()].reduce((n, ids) => n + ids.length, 0);
        record(res);
        const after = [...seen[index]!.values()].reduce((n, ids) => n + ids.length, 0);
        quiet = !writing && after === before ? quiet + 1 : 0;
        pos = res.pos;
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
      for (const [index] of readers.entries()) {
        expect(initials[index]!.get(roomId), 'initial once').toBe(1);
        const ids = seen[index]!.get(roomId)!;
        expect(new Set(ids).size, 'no event twice').toBe(ids.length);
        // From its first event on, exactly the room's timeline: once each, in order, to the end.
        const start = timeline.indexOf(ids[0]!);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(ids).toEqual(timeline.slice(start));
      }
    }
  }, 300_000);
});
