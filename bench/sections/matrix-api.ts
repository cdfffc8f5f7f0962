// What the Matrix sections share: the server to talk to, skipping (never faking) when an API they
// need is not there, users and rooms to measure with, and latency figures.
import { axon } from '../../lib/matrix/module.ts';
import { BenchClient, routes } from '../client/matrix-client.ts';
import { SkipSection, type BenchContext, type ChartPoint } from '../section.ts';
import { percentile } from '../stats.ts';

export function serverUrl(ctx: BenchContext): string {
  if (!ctx.url) throw new SkipSection('needs an Axon server (run without --url to start one, or pass --url)');
  return ctx.url;
}

/** Skips the section when the server does not route `method path` (404 M_UNRECOGNIZED). */
export async function requireApi(url: string, method: string, path: string, what: string): Promise<void> {
  if (!(await routes(url, method, path))) throw new SkipSection(`${what} (${method} ${path}) is not served yet`);
}

export const sendProbe = ['PUT', '/_matrix/client/v3/rooms/!probe:localhost/send/m.room.message/probe'] as const;
export const syncProbe = ['GET', '/_matrix/client/v3/sync'] as const;

let userCounter = 0;
const run = Math.random().toString(36).slice(2, 7);

export async function registerUsers(url: string, count: number, prefix: string): Promise<BenchClient[]> {
  const out: BenchClient[] = [];
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, () => BenchClient.register(url, `${prefix}${run}_${++userCounter}`));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** A public room created by `owner` and joined by `members`. */
export async function roomWith(owner: BenchClient, members: readonly BenchClient[]): Promise<string> {
  const { room_id: roomId } = await owner.createRoom({ preset: 'public_chat' });
  for (let start = 0; start < members.length; start += 20) {
    await Promise.all(members.slice(start, start + 20).map((m) => m.join(roomId)));
  }
  return roomId;
}

export function messageContent(id: string): Record<string, unknown> {
  return { msgtype: 'm.text', body: `bench message ${id}`, 'bench.id': id };
}

/** p50/p95/p99 (and the sample count) of latencies in ms. */
export function latencyFigures(ctx: BenchContext, name: string, samples: readonly number[], phase: string, quantiles = [0.5, 0.95, 0.99], at?: ChartPoint): void {
  for (const q of quantiles) ctx.figure(`${name} p${Math.round(q * 100)}`, percentile(samples, q), 'ms', phase, at);
  ctx.figure(`${name} samples`, samples.length, 'count', phase);
}

export const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** Whether Axon's module declares the WebSocket channel (a $connect route). */
export function webSocketServed(): boolean {
  return (axon.websocket?.routes ?? []).some((r) => r.route === '$connect');
}

/**
 * A user nobody writes to, long-polling /sync as clients do (each poll with `timeoutMs`, the next
 * from its next_batch) for `windowMs`: returns the polls made and the seconds they took. A poll can
 * come back early (e.g. the user's own presence change), so the window, not one poll, is the unit.
 */
export async function idleLongPolling(client: BenchClient, windowMs: number, timeoutMs: number): Promise<{ polls: number; seconds: number }> {
  let { next_batch: since } = await client.sync({ timeoutMs: 0 });
  const t0 = performance.now();
  let polls = 0;
  while (performance.now() - t0 < windowMs) {
    since = (await client.sync({ since, timeoutMs: Math.round(Math.min(timeoutMs, Math.max(1000, windowMs - (performance.now() - t0)))) })).next_batch;
    polls++;
  }
  return { polls, seconds: (performance.now() - t0) / 1000 };
}
