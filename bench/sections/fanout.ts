// One room, many online members: delivery latency to every member and what each message costs in
// pushes. Members are online over the WebSocket channel when it is served (the runner's own Axon),
// otherwise — or also, with AXON_BENCH_FANOUT_LONGPOLL=1 — by waiting in a /sync long-poll.
import { LongPoller } from '../client/long-poller.ts';
import { WsReceiver } from '../client/ws-receiver.ts';
import { sleep } from '../client/matrix-client.ts';
import type { BenchContext, BenchSection } from '../section.ts';
import { percentile } from '../stats.ts';
import { pooledRoom, pooledUsers } from './member-pool.ts';
import { latencyFigures, messageContent, registerUsers, requireApi, roomWith, sendProbe, serverUrl, syncProbe, webSocketServed } from './matrix-api.ts';

const MESSAGES = 20;

function roomSizes(): number[] {
  // AXON_BENCH_FANOUT_SIZES=10,50 replaces the default sizes (e.g. for a quick run).
  const listed = (process.env.AXON_BENCH_FANOUT_SIZES ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 2);
  if (listed.length) return listed;
  const sizes = [10, 100];
  if (process.env.AXON_BENCH_FANOUT_1000) sizes.push(1000);
  return sizes;
}

export const fanoutSection: BenchSection = {
  name: 'fanout',
  description: 'one room with 10 and 100 (AXON_BENCH_FANOUT_1000=1: 1,000) WebSocket-connected members: delivery latency p50/p99 and pushes per message',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    await requireApi(url, ...syncProbe, '/sync');
    const overWebSocket = webSocketServed() && ctx.wsUrl !== undefined;
    if (!overWebSocket) ctx.log('the WebSocket channel is not served here: members are online by long-polling /sync');
    for (const size of roomSizes()) {
      if (overWebSocket) await webSocketFanout(ctx, url, ctx.wsUrl!, size);
      if (overWebSocket && !process.env.AXON_BENCH_FANOUT_LONGPOLL) continue;
      const [sender, ...members] = await registerUsers(url, size, `fan${size}_`);
      const roomId = await roomWith(sender!, members);
      const arrivals = new Map<string, number[]>();
      const pollers = members.map(
        (m) => new LongPoller(m, (event, _room, at) => {
          const id = event.content['bench.id'];
          if (typeof id === 'string') arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
        }),
      );
      for (let i = 0; i < pollers.length; i += 20) await Promise.all(pollers.slice(i, i + 20).map((p) => p.start()));
      const phase = `${size} members online (long-poll)`;
      const latencies = await ctx.phase(phase, async () => {
        const out: number[] = [];
        for (let i = 0; i < MESSAGES; i++) {
          const id = `f${size}_${i}`;
          await sleep(50);
          const t0 = performance.now();
          await sender!.send(roomId, id, messageContent(id));
          const deadline = Date.now() + 30_000;
          while ((arrivals.get(id)?.length ?? 0) < members.length && Date.now() < deadline) await sleep(5);
          const got = arrivals.get(id) ?? [];
          if (got.length < members.length) throw new Error(`message ${id} reached ${got.length} of ${members.length} members within 30 s`);
          out.push(...got.map((at) => at - t0));
        }
        return out;
      });
      const at = { x: size, label: 'room members (all online)' };
      latencyFigures(ctx, 'long-poll delivery', latencies, phase, [0.5, 0.99], at);
      const ops = ctx.requests?.(phase) ?? [];
      const pushes = ops.filter((o) => o.operation === 'PostToConnection').reduce((n, o) => n + o.requests, 0);
      ctx.figure('pushes per message', pushes / MESSAGES, 'pushes', phase);
      const polls = ops.filter((o) => o.service === 'ApiGateway').reduce((n, o) => n + o.requests, 0);
      ctx.figure('HTTP requests per message per member', polls / MESSAGES / members.length, 'requests', phase);
      ctx.log(`${size} members: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`);
      await ctx.phase('teardown', async () => {
        const stopping = pollers.map((p) => p.stop(async () => undefined));
        await sender!.send(roomId, `stop${size}`, messageContent('stop'));
        await Promise.all(stopping);
      });
    }
  },
};

/** Every member connected over the WebSocket channel; each message timed until every member has it. */
async function webSocketFanout(ctx: BenchContext, url: string, wsUrl: string, size: number): Promise<void> {
  const [sender, ...members] = await pooledUsers(url, size);
  const roomId = await pooledRoom(url, size);
  const arrivals = new Map<string, number[]>();
  const receivers = members.map(
    (m) => new WsReceiver(wsUrl, m.accessToken!, (event, _room, at) => {
      const id = event.content['bench.id'];
      if (typeof id === 'string') arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
    }),
  );
  for (let i = 0; i < receivers.length; i += 20) await Promise.all(receivers.slice(i, i + 20).map((r) => r.connect()));
  try {
    const phase = `${size} members online (WebSocket)`;
    const latencies = await ctx.phase(phase, async () => {
      const out: number[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        const id = `fw${size}_${i}`;
        const t0 = performance.now();
        await sender!.send(roomId, id, messageContent(id));
        const deadline = Date.now() + 30_000;
        while ((arrivals.get(id)?.length ?? 0) < members.length && Date.now() < deadline) await sleep(2);
        const got = arrivals.get(id) ?? [];
        if (got.length < members.length) throw new Error(`message ${id} reached ${got.length} of ${members.length} WebSocket members within 30 s`);
        out.push(...got.map((at) => at - t0));
      }
      return out;
    });
    const at = { x: size, label: 'room members (all online)' };
    latencyFigures(ctx, 'WebSocket delivery', latencies, phase, [0.5, 0.99], at);
    const ops = ctx.requests?.(phase) ?? [];
    const pushes = ops.filter((o) => o.operation === 'PostToConnection').reduce((n, o) => n + o.requests, 0);
    ctx.figure('WebSocket pushes per message', pushes / MESSAGES, 'pushes', phase, at);
    // Writes and reads a message costs with every member connected (no long-poll to wake).
    const dynamo = (names: string[]) => ops.filter((o) => o.service === 'DynamoDB' && names.includes(o.operation)).reduce((n, o) => n + o.requests, 0) / MESSAGES;
    const writes = dynamo(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
    const reads = dynamo(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
    ctx.figure('DynamoDB write requests per message (WebSocket members)', writes, 'requests', phase);
    ctx.figure('DynamoDB read requests per message (WebSocket members)', reads, 'requests', phase);
    ctx.log(`${size} members over WebSocket: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, ${(pushes / MESSAGES).toFixed(1)} pushes/message, ${writes.toFixed(1)} DynamoDB writes and ${reads.toFixed(1)} reads/message`);
    const top = (ctx.targets?.(phase) ?? []).slice(0, 12).map((t) => `${(t.requests / MESSAGES).toFixed(1)} ${t.target}`);
    ctx.log(`DynamoDB requests per message with ${size} connected members: ${top.join('; ')}`);
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
  }
}
