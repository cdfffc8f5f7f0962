// Sustained sends: N senders in M rooms for a bounded time, each sender one request at a time
// (a send answers once materialised). Defaults are small so `npm run bench` stays short; the
// issue's size is AXON_BENCH_SENDERS=20 AXON_BENCH_ROOMS=10 AXON_BENCH_THROUGHPUT_S=60.
import type { BenchSection } from '../section.ts';
import { runLoad } from '../stats.ts';
import { envNumber, latencyFigures, messageContent, registerUsers, requireApi, roomWith, sendProbe, serverUrl } from './matrix-api.ts';

export const throughputSection: BenchSection = {
  name: 'throughput',
  description: 'sustained messages per second with N senders in M rooms, and the error rate',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    const senders = envNumber('AXON_BENCH_SENDERS', 6);
    const roomCount = envNumber('AXON_BENCH_ROOMS', 3);
    const seconds = envNumber('AXON_BENCH_THROUGHPUT_S', 10);
    const clients = await registerUsers(url, senders, 'tp');
    const rooms: string[] = [];
    for (let r = 0; r < roomCount; r++) rooms.push(await roomWith(clients[0]!, clients.slice(1)));
    const phase = `${senders} senders × ${roomCount} rooms`;
    const result = await ctx.phase(phase, () =>
      runLoad(
        (i) => {
          const client = clients[i % senders]!;
          return client.send(rooms[i % roomCount]!, `tp${i}`, messageContent(`tp${i}`));
        },
        { concurrency: senders, durationMs: seconds * 1000, maxOperations: 1_000_000 },
      ),
    );
    const ok = result.latencies.length;
    ctx.figure('messages per second', ok / (result.elapsedMs / 1000), 'messages/s', phase);
    ctx.figure('error rate', result.operations > 0 ? result.errors / result.operations : 0, 'fraction', phase);
    latencyFigures(ctx, 'send under load', result.latencies, phase, [0.5, 0.95, 0.99]);
    ctx.log(`${ok} messages in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.errors} errors`);
  },
};
