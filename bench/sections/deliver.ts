// Send → received by another client: over /sync long-poll (the receiver is already waiting when
// each message is sent, so each sample is one wake-up) — served by the sync service, or by the
// sync function with AXON_BENCH_SYNC=lambda — the same through matrix-js-sdk's own sync loop, and
// over the WebSocket channel once it is served. Then the cost of waiting: DynamoDB reads of a
// long-poll that nothing wakes, per minute.
import { ClientEvent, createClient, RoomEvent, SyncState, type MatrixEvent } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { OperationCount } from '../accounting.ts';
import { LongPoller } from '../client/long-poller.ts';
import { sleep, type BenchClient } from '../client/matrix-client.ts';
import { WsReceiver } from '../client/ws-receiver.ts';
import type { BenchSection } from '../section.ts';
import { envNumber, latencyFigures, messageContent, registerUsers, requireApi, roomWith, sendProbe, serverUrl, syncProbe, webSocketServed, idleLongPolling } from './matrix-api.ts';

/** Who serves /sync in this run: the sync service unless AXON_BENCH_SYNC=lambda (the runner's own Axon). */
export function syncRoute(): string {
  return process.env.AXON_BENCH_SYNC === 'lambda' ? 'the sync function (Lambda route)' : 'the sync service';
}

/**
 * matrix-js-sdk following the receiver's /sync as Element does (its own long-poll loop, lazy-loaded
 * members): send → the SDK's Timeline event, each sent once the SDK's next poll is waiting.
 */
async function sdkDelivery(url: string, receiver: BenchClient, sender: BenchClient, roomId: string, count: number): Promise<number[]> {
  (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
  const client = createClient({ baseUrl: url, accessToken: receiver.accessToken!, userId: receiver.userId });
  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  client.on(RoomEvent.Timeline, (event: MatrixEvent) => {
    const id = event.getContent()['bench.id'];
    if (typeof id !== 'string' || arrived.has(id)) return;
    arrived.set(id, performance.now());
    waiters.get(id)?.();
  });
  const prepared = new Promise<void>((resolve) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && resolve()));
  await client.startClient({ initialSyncLimit: 1, lazyLoadMembers: true });
  await prepared;
  try {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = `sdk${i}`;
      await sleep(30);
      const t0 = performance.now();
      const got = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`message ${id} not received by matrix-js-sdk within 30 s`)), 30_000);
        waiters.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await sender.send(roomId, id, messageContent(id));
      await got;
      out.push(arrived.get(id)! - t0);
    }
    return out;
  } finally {
    client.stopClient();
  }
}

const dynamoReads = (ops: readonly OperationCount[]) =>
  ops.filter((o) => o.service === 'DynamoDB' && ['GetItem', 'Query', 'BatchGetItem', 'TransactGetItems', 'Scan'].includes(o.operation));

export const deliverSection: BenchSection = {
  name: 'deliver',
  description: 'send → received by another client over /sync long-poll (and WebSocket when served); reads of an idle long-poll',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    await requireApi(url, ...syncProbe, '/sync');
    const count = envNumber('AXON_BENCH_DELIVERIES', 100);
    const [alice, bob] = await registerUsers(url, 2, 'deliver');
    const roomId = await roomWith(alice!, [bob!]);

    const arrived = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const poller = new LongPoller(bob!, (event, _room, at) => {
      const id = event.content['bench.id'];
      if (typeof id !== 'string') return;
      arrived.set(id, at);
      waiters.get(id)?.();
    });
    await poller.start();
    const receive = (id: string) => new Promise<void>((resolve, reject) => {
      if (arrived.has(id)) return resolve();
      const timer = setTimeout(() => reject(new Error(`message ${id} not received over /sync within 30 s`)), 30_000);
      waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });

    const latencies = await ctx.phase('long-poll delivery', async () => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const id = `d${i}`;
        // Let the receiver's next long-poll start waiting, as it would between messages.
        await sleep(30);
        const t0 = performance.now();
        await alice!.send(roomId, id, messageContent(id));
        await receive(id);
        out.push(arrived.get(id)! - t0);
      }
      return out;
    });
    latencyFigures(ctx, 'long-poll delivery', latencies, 'long-poll delivery', [0.5, 0.95, 0.99]);
    ctx.log(`long-poll delivery served by ${syncRoute()}`);
    await ctx.phase('teardown', () => poller.stop(() => alice!.send(roomId, 'stop', messageContent('stop'))));

    const sdkLatencies = await ctx.phase('long-poll delivery (matrix-js-sdk)', () => sdkDelivery(url, bob!, alice!, roomId, count));
    latencyFigures(ctx, 'long-poll delivery (matrix-js-sdk)', sdkLatencies, 'long-poll delivery (matrix-js-sdk)', [0.5, 0.95, 0.99]);

    // Idle long-polling: /sync polls that nothing wakes, for a window.
    const idleWindowMs = envNumber('AXON_BENCH_IDLE_POLL_MS', 15_000);
    const { seconds } = await ctx.phase('idle long-poll', () => idleLongPolling(bob!, idleWindowMs, 30_000));
    const idle = seconds * 1000;
    const reads = dynamoReads(ctx.requests?.('idle long-poll') ?? []);
    const minutes = idle / 60_000;
    ctx.figure('idle long-poll duration', idle / 1000, 's', 'idle long-poll');
    ctx.figure('DynamoDB reads per idle long-poll minute', reads.reduce((n, o) => n + o.requests, 0) / minutes, 'requests/min', 'idle long-poll');
    ctx.figure('RCU per idle long-poll minute', reads.reduce((n, o) => n + o.readCapacityUnits, 0) / minutes, 'RCU/min', 'idle long-poll');
    ctx.log(`long-poll delivery over ${count} messages; idle long-poll answered after ${(idle / 1000).toFixed(1)} s`);

    // Not faked: WebSocket delivery is measured once the channel is served (ARCHITECTURE §7).
    if (!webSocketServed() || !ctx.wsUrl) {
      ctx.log('WebSocket delivery not measured: the WebSocket channel ($connect) is not served here');
      return;
    }
    const wsArrived = new Map<string, number>();
    const wsWaiters = new Map<string, () => void>();
    const receiver = new WsReceiver(ctx.wsUrl, bob!.accessToken!, (event, _room, at) => {
      const id = event.content['bench.id'];
      if (typeof id !== 'string') return;
      wsArrived.set(id, at);
      wsWaiters.get(id)?.();
    });
    await receiver.connect();
    const wsReceive = (id: string) => new Promise<void>((resolve, reject) => {
      if (wsArrived.has(id)) return resolve();
      const timer = setTimeout(() => reject(new Error(`message ${id} not pushed over the WebSocket within 30 s`)), 30_000);
      wsWaiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      const wsLatencies = await ctx.phase('WebSocket delivery', async () => {
        const out: number[] = [];
        for (let i = 0; i < count; i++) {
          const id = `w${i}`;
          const t0 = performance.now();
          await alice!.send(roomId, id, messageContent(id));
          await wsReceive(id);
          out.push(wsArrived.get(id)! - t0);
        }
        return out;
      });
      latencyFigures(ctx, 'WebSocket delivery', wsLatencies, 'WebSocket delivery', [0.5, 0.95, 0.99]);
      const pushes = (ctx.requests?.('WebSocket delivery') ?? []).filter((o) => o.operation === 'PostToConnection').reduce((n, o) => n + o.requests, 0);
      ctx.figure('WebSocket pushes per message', pushes / count, 'pushes', 'WebSocket delivery');
    } finally {
      await receiver.close();
    }
  },
};
