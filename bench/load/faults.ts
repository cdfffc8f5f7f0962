// Load with faults (issue 7 item 4): clients send messages into a few shared rooms while, once
// each, the rooms topology's poller is stopped and restarted and kinesis-mock is killed and
// restarted. Clients behave as Matrix clients do: a send that failed or timed out is retried with
// the SAME txnId (the send is idempotent per txnId). Afterwards every member's /messages history
// of every room is checked: each message exactly once, each sender's messages in the order sent,
// and every member seeing the same order.
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { BenchClient, fullHistory, MatrixRequestError, sleep } from '../client/matrix-client.ts';

export interface FaultRunOptions {
  runtime: LocalRuntime;
  /** Kill kinesis-mock and start it again on the same port with the same data (see engines.ts). */
  restartKinesis: () => Promise<void>;
  messages: number;
  clients: number;
  rooms: number;
  /** The topology whose poller is stopped and restarted. */
  topology?: string;
  /** A client gives up waiting for one send after this and retries it (default 8 s). */
  sendTimeoutMs?: number;
  /** How long the poller stays stopped and kinesis-mock stays down (default 1 s). */
  downtimeMs?: number;
  log?: (line: string) => void;
}

export interface FaultRunResult {
  messages: number;
  clients: number;
  rooms: number;
  /** Message × member pairs missing from a member's history. */
  lost: number;
  /** Extra copies of a message in a member's history. */
  duplicated: number;
  /** Messages of one sender in a room seen out of the order sent, or members disagreeing on the order. */
  outOfOrder: number;
  /** Sends that had to be retried (same txnId) because of the faults. */
  retries: number;
  /** Sends that failed for good (a refusal, or retries exhausted). */
  failedSends: number;
  faults: string[];
  elapsedMs: number;
  /** Sends per second while the faults ran, retries included. */
  messagesPerSecond: number;
}

interface Planned {
  id: string;
  client: number;
  seq: number;
  room: number;
}

const MAX_ATTEMPTS = 40;

function retriable(error: unknown): boolean {
  // Network errors, aborts and server errors are retried; a Matrix refusal (4xx but 429) is final.
  if (error instanceof MatrixRequestError) return error.status >= 500 || error.status === 429;
  return true;
}

export async function runFaultLoad(options: FaultRunOptions): Promise<FaultRunResult> {
  const log = options.log ?? (() => undefined);
  const { runtime, messages, rooms: roomCount } = options;
  const clientCount = Math.max(1, options.clients);
  const topology = options.topology ?? 'rooms';
  const downtimeMs = options.downtimeMs ?? 1000;
  const runId = Math.random().toString(36).slice(2, 8);

  log(`registering ${clientCount} clients, creating ${roomCount} rooms`);
  const clients: BenchClient[] = [];
  for (let start = 0; start < clientCount; start += 10) {
    const batch = Array.from({ length: Math.min(10, clientCount - start) }, (_, j) => BenchClient.register(runtime.httpUrl, `fault${runId}_${start + j}`));
    clients.push(...(await Promise.all(batch)));
  }
  const owner = clients[0]!;
  const roomIds: string[] = [];
  for (let r = 0; r < roomCount; r++) roomIds.push((await owner.createRoom({ preset: 'public_chat' })).room_id);
  for (const client of clients.slice(1)) await Promise.all(roomIds.map((roomId) => client.join(roomId)));

  // Message k goes from client k % C, to room (its per-client sequence) % R.
  const plan: Planned[][] = clients.map(() => []);
  for (let k = 0; k < messages; k++) {
    const client = k % clientCount;
    const seq = plan[client]!.length;
    plan[client]!.push({ id: `${runId}-${k}`, client, seq, room: (client + seq) % roomCount });
  }

  let completed = 0;
  let retries = 0;
  let failedSends = 0;
  const faults: string[] = [];
  const faultAt = async (fraction: number, name: string, fault: () => Promise<void>) => {
    while (completed < messages * fraction && completed + failedSends < messages) await sleep(20);
    const t0 = performance.now();
    await fault();
    faults.push(`${name} after ${completed} of ${messages} sends (${Math.round(performance.now() - t0)} ms)`);
    log(faults.at(-1)!);
  };
  const faultRun = (async () => {
    await faultAt(0.25, 'topology poller stopped and restarted', async () => {
      const mapping = runtime.mappings.get(topology);
      await mapping.stop();
      await sleep(downtimeMs);
      mapping.start();
    });
    await faultAt(0.6, 'kinesis-mock killed and restarted', async () => {
      await options.restartKinesis();
    });
  })();

  const send = async (client: BenchClient, message: Planned) => {
    const txnId = `txn-${message.id}`;
    const content = { msgtype: 'm.text', body: `message ${message.id}`, 'bench.id': message.id, 'bench.client': message.client, 'bench.seq': message.seq };
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(roomIds[message.room]!, txnId, content, { timeoutMs: options.sendTimeoutMs ?? 8000 });
        return;
      } catch (error) {
        if (!retriable(error) || attempt >= MAX_ATTEMPTS) {
          failedSends++;
          log(`send ${message.id} failed for good: ${(error as Error).message}`);
          return;
        }
        retries++;
        await sleep(Math.min(2000, 100 * attempt));
      }
    }
  };

  const started = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      for (const message of plan[i]!) {
        await send(client, message);
        completed++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  await faultRun;
  const idleStarted = performance.now();
  await runtime.mappings.idle(120_000);
  log(`topologies idle ${Math.round(performance.now() - idleStarted)} ms after the last send`);
  log(`sent ${messages} messages in ${(elapsedMs / 1000).toFixed(1)} s with ${retries} retries; checking every member's history`);

  const byId = new Map(plan.flat().map((m) => [m.id, m]));
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (let r = 0; r < roomCount; r++) {
    const expected = new Set(plan.flat().filter((m) => m.room === r).map((m) => m.id));
    let reference: string[] | undefined;
    for (const client of clients) {
      const ids = (await fullHistory(client, roomIds[r]!))
        .map((e) => e.content['bench.id'])
        .filter((id): id is string => typeof id === 'string');
      const seen = new Map<string, number>();
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
      for (const id of expected) if (!seen.has(id)) lost++;
      for (const count of seen.values()) duplicated += Math.max(0, count - 1);
      // Each sender's messages in the order it sent them (a sender waits for each send).
      const lastSeq = new Map<string, number>();
      for (const id of new Set(ids)) {
        const message = byId.get(id);
        if (!message) continue;
        const previous = lastSeq.get(String(message.client)) ?? -1;
        if (message.seq < previous) outOfOrder++;
        lastSeq.set(String(message.client), message.seq);
      }
      // Every member sees the room in one order.
      if (!reference) reference = ids;
      else if (reference.join() !== ids.join()) outOfOrder++;
    }
  }
  log(`histories checked in ${Math.round(performance.now() - started - elapsedMs)} ms`);
  return {
    messages,
    clients: clientCount,
    rooms: roomCount,
    lost,
    duplicated,
    outOfOrder,
    retries,
    failedSends,
    faults,
    elapsedMs,
    messagesPerSecond: messages / (elapsedMs / 1000),
  };
}
