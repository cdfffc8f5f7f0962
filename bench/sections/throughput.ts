// Sustained sends, in issue 14's shape: S senders sending as fast as they can (one request at a
// time each, a send answers once materialised) into R public rooms of ~M members, with one
// long-polling reader per room noting when each message arrives. Then `hot-room`: every sender in
// ONE room, the per-room (per partition key) ceiling. Defaults are the sizes (20 senders,
// 10 rooms of 30, 30 s per shape); AXON_BENCH_SENDERS, AXON_BENCH_ROOMS, AXON_BENCH_ROOM_MEMBERS,
// AXON_BENCH_THROUGHPUT_S change them.
//
// Besides the rates, each shape checks what the "done when" asks: every message answered
// 200 reached its room's reader exactly once and in the room's order (lost / duplicated / out of
// order are printed and are figures).
import type { BenchClient } from '../client/matrix-client.ts';
import type { BenchContext, BenchSection } from '../section.ts';
import { runLoad } from '../stats.ts';
import { envNumber, latencyFigures, messageContent, registerUsers, requireApi, sendProbe, serverUrl, syncProbe } from './matrix-api.ts';
import { readersOf, type RoomReaders } from './throughput-readers.ts';

interface Shape {
  name: string;
  senders: BenchClient[];
  rooms: string[];
  readers: RoomReaders;
  seconds: number;
}

async function runShape(ctx: BenchContext, shape: Shape): Promise<void> {
  const { name, senders, rooms, readers } = shape;
  const sentAt = new Map<string, number>();
  const answered = new Map<string, string>();
  // Sender s sends its k-th message to room (s + k) % R: every room gets every sender's messages.
  const perSender = senders.map(() => 0);
  const result = await ctx.phase(name, () =>
    runLoad(
      async (i) => {
        const s = i % senders.length;
        const k = perSender[s]!++;
        const roomId = rooms[(s + k) % rooms.length]!;
        const id = `${name}-${s}-${k}`;
        sentAt.set(id, performance.now());
        await senders[s]!.send(roomId, id, messageContent(id), { timeoutMs: 60_000 });
        answered.set(id, roomId);
      },
      { concurrency: senders.length, durationMs: shape.seconds * 1000, maxOperations: 10_000_000 },
    ),
  );
  const delivery = await readers.settle(answered, 30_000);
  const ok = result.latencies.length;
  const rate = ok / (result.elapsedMs / 1000);
  ctx.figure('messages per second', rate, 'messages/s', name);
  ctx.figure('error rate', result.operations > 0 ? result.errors / result.operations : 0, 'fraction', name);
  latencyFigures(ctx, 'send under load', result.latencies, name, [0.5, 0.95, 0.99]);
  const deliveries = delivery.arrivals.map(({ id, at }) => at - sentAt.get(id)!);
  latencyFigures(ctx, 'delivery to long-poller', deliveries, name, [0.5, 0.95, 0.99]);
  ctx.figure('lost', delivery.lost, 'messages', name);
  ctx.figure('duplicated', delivery.duplicated, 'messages', name);
  ctx.figure('out of order', delivery.outOfOrder, 'messages', name);
  ctx.log(
    `${name}: ${ok} messages in ${(result.elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(1)}/s), ${result.errors} errors; ` +
      `delivered ${deliveries.length}, lost ${delivery.lost}, duplicated ${delivery.duplicated}, out of order ${delivery.outOfOrder}`,
  );
}

export const throughputSection: BenchSection = {
  name: 'throughput',
  description: 'sustained sends/s of S senders into R rooms of ~M members with a long-polling reader each, then all senders in one hot room',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    await requireApi(url, ...syncProbe, '/sync');
    const senderCount = envNumber('AXON_BENCH_SENDERS', 20);
    const roomCount = envNumber('AXON_BENCH_ROOMS', 10);
    const members = envNumber('AXON_BENCH_ROOM_MEMBERS', 30);
    const seconds = envNumber('AXON_BENCH_THROUGHPUT_S', 30);
    // Each room: every sender, its own reader, and the same idle members up to ~M.
    const idleCount = Math.max(0, members - senderCount - 1);
    const [senders, idle, roomReaders] = [
      await registerUsers(url, senderCount, 'tps'),
      await registerUsers(url, idleCount, 'tpi'),
      await registerUsers(url, roomCount + 1, 'tpr'),
    ];
    const joinAll = async (roomId: string, users: readonly BenchClient[]) => {
      for (let start = 0; start < users.length; start += 10) await Promise.all(users.slice(start, start + 10).map((u) => u.join(roomId)));
    };
    const createRooms = async (count: number, readerOffset: number) => {
      const rooms: string[] = [];
      for (let r = 0; r < count; r++) {
        const { room_id: roomId } = await senders[0]!.createRoom({ preset: 'public_chat' });
        await joinAll(roomId, [...senders.slice(1), ...idle, roomReaders[readerOffset + r]!]);
        rooms.push(roomId);
      }
      return rooms;
    };

    const rooms = await createRooms(roomCount, 0);
    const spread = `${senderCount} senders × ${roomCount} rooms of ${Math.min(members, senderCount + idleCount + 1)}`;
    const readers = await readersOf(rooms.map((roomId, r) => ({ roomId, reader: roomReaders[r]! })));
    await runShape(ctx, { name: spread, senders, rooms, readers, seconds });
    await readers.stop(senders[0]!);

    const [hot] = await createRooms(1, roomCount);
    const hotReaders = await readersOf([{ roomId: hot!, reader: roomReaders[roomCount]! }]);
    await runShape(ctx, { name: `hot room: ${senderCount} senders × 1 room`, senders, rooms: [hot!], readers: hotReaders, seconds });
    await hotReaders.stop(senders[0]!);
  },
};
