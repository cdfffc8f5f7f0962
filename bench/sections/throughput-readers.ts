// One long-polling reader per room for the throughput shapes: notes when each bench message
// arrives, and afterwards checks against the room's timeline that every answered message arrived
// exactly once and in the room's order.
import { LongPoller } from '../client/long-poller.ts';
import { fullHistory, sleep, type BenchClient } from '../client/matrix-client.ts';
import { messageContent } from './matrix-api.ts';

export interface Delivery {
  /** First arrival of each message, in arrival order. */
  arrivals: { id: string; at: number }[];
  /** Answered messages that never reached their room's reader. */
  lost: number;
  /** Extra arrivals of a message at its reader. */
  duplicated: number;
  /** Arrivals that came before a message the room's timeline has earlier. */
  outOfOrder: number;
}

export interface RoomReaders {
  /** Waits (up to `timeoutMs`) for every answered message (id → room) to arrive, then checks. */
  settle(answered: ReadonlyMap<string, string>, timeoutMs: number): Promise<Delivery>;
  /** Ends every reader's loop (one more message into each room wakes its last poll). */
  stop(sender: BenchClient): Promise<void>;
}

const benchId = (content: Record<string, unknown>) => (typeof content['bench.id'] === 'string' ? (content['bench.id'] as string) : undefined);

export async function readersOf(rooms: readonly { roomId: string; reader: BenchClient }[]): Promise<RoomReaders> {
  const seen = new Map(rooms.map(({ roomId }) => [roomId, [] as { id: string; at: number }[]]));
  const pollers = rooms.map(
    ({ roomId, reader }) =>
      new LongPoller(reader, (event, room, at) => {
        const id = benchId(event.content);
        if (id !== undefined && room === roomId) seen.get(roomId)!.push({ id, at });
      }),
  );
  await Promise.all(pollers.map((p) => p.start()));

  return {
    async settle(answered, timeoutMs) {
      const arrivedIds = () => new Set([...seen.values()].flatMap((list) => list.map((a) => a.id)));
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline && [...answered.keys()].some((id) => !arrivedIds().has(id))) await sleep(100);
      const arrived = arrivedIds();
      let duplicated = 0;
      let outOfOrder = 0;
      const arrivals: { id: string; at: number }[] = [];
      for (const { roomId, reader } of rooms) {
        const list = seen.get(roomId)!;
        const timeline = (await fullHistory(reader, roomId)).map((e) => benchId(e.content)).filter((id): id is string => id !== undefined);
        const index = new Map(timeline.map((id, i) => [id, i]));
        const once = new Set<string>();
        let highest = -1;
        for (const a of list) {
          if (once.has(a.id)) {
            duplicated++;
            continue;
          }
          once.add(a.id);
          arrivals.push(a);
          const i = index.get(a.id) ?? -1;
          if (i < highest) outOfOrder++;
          highest = Math.max(highest, i);
        }
      }
      const lost = [...answered.keys()].filter((id) => !arrived.has(id)).length;
      return { arrivals, lost, duplicated, outOfOrder };
    },
    async stop(sender) {
      await Promise.all(pollers.map((p, i) => p.stop(() => sender.send(rooms[i]!.roomId, `stop-${Math.random()}`, messageContent('stop')))));
    },
  };
}
