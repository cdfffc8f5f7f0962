// One sync service instance as its own process (what a Fargate task runs), driven directly as its
// load balancer would: how fast a message reaches N members long-polling one room (N = 10, 200,
// 1,000), and how many waiting polls the process holds — its memory and CPU with them waiting and
// answering at their timeouts, as idle clients keep polling — then the 200-member wake again with
// all of those waiting beside it. The instance shares the machine with the engines, the topologies
// and these clients: its CPU is its own, the latencies are everyone's.
//
//   AXON_BENCH_WAKE_SIZES=10,200,1000   room sizes
//   AXON_BENCH_CAPACITY_POLLS=10000     waiting polls held
//   AXON_BENCH_CAPACITY_USERS=1000      users they come from (each with POLLS/USERS polls)
//   AXON_BENCH_IDLE_WINDOW_S=60         idle window over which CPU is measured
import { setMaxListeners } from 'node:events';
import { LongPoller } from '../client/long-poller.ts';
import { sleep, type BenchClient } from '../client/matrix-client.ts';
import { ServiceProcess } from '../client/service-process.ts';
import { SkipSection, type BenchContext, type BenchSection } from '../section.ts';
import { percentile } from '../stats.ts';
import { envNumber, latencyFigures, messageContent, requireApi, sendProbe, serverUrl, syncProbe } from './matrix-api.ts';
import { pooledRoom, pooledUsers } from './member-pool.ts';

const MESSAGES = 10;
/** What Element asks for: members lazy-loaded, a short timeline. */
const FILTER = JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 10 } } });

function wakeSizes(): number[] {
  const listed = (process.env.AXON_BENCH_WAKE_SIZES ?? '10,200,1000').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1);
  return listed.length ? listed : [10, 200, 1000];
}

const MB = 1024 * 1024;

export const longPollCapacitySection: BenchSection = {
  name: 'longpoll-capacity',
  description: 'one sync service process: wake latency into a room of N waiting members (10, 200, 1,000), waiting polls held (memory, CPU)',
  onlyWhenNamed: true,
  async run(ctx) {
    const url = serverUrl(ctx);
    if (!ctx.localAxon || !ctx.wsUrl) throw new SkipSection('starts a sync service process against the runner’s own local Axon');
    await requireApi(url, ...sendProbe, 'sending messages');
    await requireApi(url, ...syncProbe, '/sync');
    const service = await ServiceProcess.start('sync', ctx.wsUrl);
    try {
      const base = service.sample();
      ctx.figure('service process RSS at rest', base.rssBytes / MB, 'MB', 'capacity');
      for (const size of wakeSizes()) await wakeLatency(ctx, url, service, size, 'wake');
      const held = await holdPolls(ctx, url, service, base.rssBytes);
      try {
        if (wakeSizes().includes(200)) await wakeLatency(ctx, url, service, 200, `wake with ${held.count} polls waiting`);
      } finally {
        await held.stop();
      }
    } finally {
      await service.stop();
    }
  },
};

/** Members of a room of `size` all long-poll the process; each message is timed until every one has it. */
async function wakeLatency(ctx: BenchContext, url: string, service: ServiceProcess, size: number, label: string): Promise<void> {
  const [sender, ...members] = await pooledUsers(url, size + 1);
  const roomId = await pooledRoom(url, size + 1);
  const arrivals = new Map<string, number[]>();
  const pollers = members.map(
    (m) => new LongPoller(m.at(service.url), (event, room, at) => {
      const id = event.content['bench.id'];
      if (room === roomId && typeof id === 'string') arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
    }, 30_000, FILTER),
  );
  const before = (await service.health()).open;
  for (let i = 0; i < pollers.length; i += 50) await Promise.all(pollers.slice(i, i + 50).map((p) => p.start()));
  await service.until((h) => h.open >= before + size, 120_000, `holding ${size} more polls`);
  const phase = `${size} members waiting (${label})`;
  try {
    const latencies = await ctx.phase(phase, async () => {
      const out: number[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        const id = `lc${size}_${label.length}_${i}`;
        // Let every member's next poll be waiting again.
        await service.until((h) => h.open >= before + size, 60_000, 'waiting again');
        const t0 = performance.now();
        await sender!.send(roomId, id, messageContent(id));
        const deadline = Date.now() + 60_000;
        while ((arrivals.get(id)?.length ?? 0) < members.length && Date.now() < deadline) await sleep(2);
        const got = arrivals.get(id) ?? [];
        if (got.length < members.length) throw new Error(`message ${id} reached ${got.length} of ${members.length} waiting members within 60 s`);
        out.push(...got.map((at) => at - t0));
      }
      return out;
    });
    const at = { x: size, label: 'waiting members' };
    latencyFigures(ctx, `long-poll wake (${label})`, latencies, phase, [0.5, 0.99], at);
    ctx.figure(`long-poll wake (${label}) max`, Math.max(...latencies), 'ms', phase, at);
    ctx.log(`${size} waiting members (${label}): p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
  } finally {
    await ctx.phase('teardown', async () => {
      const stopping = pollers.map((p) => p.stop(async () => undefined));
      await sender!.send(roomId, `lcstop${size}_${label.length}`, messageContent('stop'));
      await Promise.all(stopping);
    });
  }
}

/** `count` polls that nothing wakes, each polling again when answered (as idle clients do). */
async function holdPolls(ctx: BenchContext, url: string, service: ServiceProcess, baseRss: number): Promise<{ count: number; stop(): Promise<void> }> {
  const count = envNumber('AXON_BENCH_CAPACITY_POLLS', 10_000);
  const userCount = Math.min(count, envNumber('AXON_BENCH_CAPACITY_USERS', 1000));
  const users = await ctx.phase('capacity: users', () => pooledUsers(url, userCount));
  const controller = new AbortController();
  // Every waiting poll listens on it.
  setMaxListeners(0, controller.signal);
  let answered = 0;
  let errors = 0;
  const loops: Promise<void>[] = [];
  const loop = async (client: BenchClient, since: string) => {
    while (!controller.signal.aborted) {
      try {
        const query = new URLSearchParams({ since, timeout: '30000', filter: FILTER });
        const res = await fetch(`${service.url}/_matrix/client/v3/sync?${query}`, { headers: { authorization: `Bearer ${client.accessToken}` }, signal: controller.signal });
        const body = (await res.json()) as { next_batch?: string };
        if (res.ok && body.next_batch) since = body.next_batch;
        else errors++;
        answered++;
      } catch {
        if (!controller.signal.aborted) {
          errors++;
          await sleep(500);
        }
      }
    }
  };
  const perUser = Math.ceil(count / users.length);
  // Every user's first token before any poll waits (an initial sync competing with thousands of
  // polls being opened measures the opening, not the holding), then the polls in steps, each
  // step waiting until the process holds what was opened so far.
  const tokens = await ctx.phase('capacity: initial syncs', async () => {
    const out: string[] = [];
    for (let u = 0; u < users.length; u += 20) {
      out.push(...(await Promise.all(users.slice(u, u + 20).map(async (user) => (await user.at(service.url).sync({ timeoutMs: 0, filter: FILTER })).next_batch))));
    }
    return out;
  });
  await ctx.phase('capacity: open polls', async () => {
    let started = 0;
    for (let u = 0; u < users.length && started < count; u += 50) {
      users.slice(u, u + 50).forEach((user, i) => {
        for (let k = 0; k < perUser && started < count; k++, started++) loops.push(loop(user.at(service.url), tokens[u + i]!));
      });
      const opened = started;
      await service.until((h) => h.open >= opened * 0.95, 300_000, `holding ${opened} polls`);
    }
  });
  const held = service.sample();
  const open = (await service.health()).open;
  ctx.figure('waiting polls held by one process', open, 'polls', 'capacity');
  ctx.figure('service process RSS with them waiting', held.rssBytes / MB, 'MB', 'capacity');
  const windowS = envNumber('AXON_BENCH_IDLE_WINDOW_S', 60);
  const answeredBefore = answered;
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const after = service.sample();
  const seconds = (performance.now() - t0) / 1000;
  const polls = answered - answeredBefore;
  const cpuShare = (after.cpuMs - held.cpuMs) / (seconds * 1000);
  ctx.figure('service CPU while they wait (one core = 100)', cpuShare * 100, '%', 'capacity');
  ctx.figure('idle polls answered per second', polls / seconds, 'polls/s', 'capacity');
  ctx.figure('service CPU per idle poll answered', polls ? (after.cpuMs - held.cpuMs) / polls : 0, 'ms', 'capacity');
  ctx.figure('service RSS per waiting poll (above rest)', open ? (held.rssBytes - baseRss) / open / 1024 : 0, 'KB', 'capacity');
  ctx.log(`${open} polls waiting from ${users.length} users: RSS ${(held.rssBytes / MB).toFixed(0)} MB, CPU ${(cpuShare * 100).toFixed(1)} % of a core over ${seconds.toFixed(0)} s idle, ${(polls / seconds).toFixed(0)} polls answered/s, ${errors} errors`);
  return {
    count: open,
    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}
