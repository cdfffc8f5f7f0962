// Latency of PUT /rooms/{roomId}/send/{eventType}/{txnId}, which answers once the rooms topology
// has materialised the event (append with ack): one sender, one request at a time.
import type { BenchSection } from '../section.ts';
import { envNumber, latencyFigures, messageContent, registerUsers, requireApi, roomWith, sendProbe, serverUrl } from './matrix-api.ts';

export const sendSection: BenchSection = {
  name: 'send',
  description: 'latency of the send request (PUT send, answered once the event is materialised)',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    const count = envNumber('AXON_BENCH_SENDS', 200);
    const [alice] = await registerUsers(url, 1, 'send');
    const roomId = await roomWith(alice!, []);
    await ctx.phase('warm-up', async () => {
      for (let i = 0; i < 10; i++) await alice!.send(roomId, `warm${i}`, messageContent(`warm${i}`));
    });
    const latencies = await ctx.phase('send', async () => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await alice!.send(roomId, `send${i}`, messageContent(`send${i}`));
        out.push(performance.now() - t0);
      }
      return out;
    });
    latencyFigures(ctx, 'send', latencies, 'send');
    ctx.log(`${count} sends, p50 ${latencies.sort((a, b) => a - b)[Math.floor(count / 2)]?.toFixed(1)} ms`);
  },
};
