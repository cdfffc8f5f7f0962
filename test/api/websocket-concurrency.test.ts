// The WebSocket channel's guarantee under concurrency: while writers send into shared rooms,
// readers follow the channel, drop their connection halfway, reconnect with
// `?since=<next_batch of their last frame>` and catch up with /sync from that token, then tell the
// connection with `{"action":"ping","since":<the catch-up's next_batch>}`. Every reader ends with
// every event of its rooms exactly once, in room order. The one repetition the protocol allows
// (README, "The WebSocket channel") is a frame pushed on the new connection before the ping's pong
// that the catch-up already returned: a client applies the catch-up first and skips those. Any
// other repetition (a frame repeating a frame, the catch-up repeating a frame of the old
// connection, a frame after the pong repeating anything) fails the test. Scaled for CI:
// 3 writers × 30 messages, 2 rooms, 2 readers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send, timelineOf } from './rooms-support.ts';

const WRITERS = 3;
const MESSAGES_PER_WRITER = 30;
const ROOMS = 2;
const READERS = 2;
const TOTAL_MESSAGES = WRITERS * MESSAGES_PER_WRITER;
// Waits are bounded only so that a lost push fails the test instead of hanging it.
const WAIT_MS = 60_000;

interface TimelineEvent {
  event_id: string;
  type: string;
}
interface Timelines {
  rooms?: { join?: Record<string, { timeline?: { events: TimelineEvent[]; limited?: boolean } }> };
}
interface Frame {
  type: string;
  next_batch?: string;
  data?: Timelines;
}
interface SyncBody extends Timelines {
  next_batch: string;
}

const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1000 } } }));

async function until(condition: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One reader: its events per room in the order it applied them, and the checks on repetitions. */
class Reader {
  readonly applied = new Map<string, string[]>();
  private readonly seen = new Set<string>();
  private readonly framed = new Set<string>();
  messages = 0;
  /** Repetitions the protocol allows (frames before the pong that the catch-up returned). */
  skipped = 0;
  private socket: WebSocket | undefined;
  /** While reconnecting, frames wait here until the catch-up has been applied. */
  private buffer: { frame: Frame; beforePong: boolean }[] | undefined;
  private pong = false;
  /** The next_batch of the last frame applied after the reconnect's pong (or the catch-up's). */
  lastToken = '';

  constructor(
    readonly user: RegisteredUser,
    private readonly wsUrl: string,
    private readonly rooms: readonly string[],
  ) {
    for (const roomId of rooms) this.applied.set(roomId, []);
  }

  private apply(body: Timelines, source: 'sync' | 'frame', repeatAllowed: boolean): void {
    for (const roomId of this.rooms) {
      const timeline = body.rooms?.join?.[roomId]?.timeline;
      if (!timeline) continue;
      expect(timeline.limited ?? false, 'a limited timeline would leave a gap').toBe(false);
      for (const event of timeline.events) {
        if (source === 'frame') {
          expect(this.framed.has(event.event_id), `frame repeats a frame: ${event.event_id}`).toBe(false);
          this.framed.add(event.event_id);
        }
        if (this.seen.has(event.event_id)) {
          expect(repeatAllowed, `${source} repeats ${event.event_id}`).toBe(true);
          this.skipped += 1;
          continue;
        }
        this.seen.add(event.event_id);
        this.applied.get(roomId)!.push(event.event_id);
        if (event.type === 'm.room.message') this.messages += 1;
      }
    }
  }

  /** A check that failed while applying a frame (in the socket's handler, where throwing is lost). */
  failure: unknown;

  /** Throws what a frame handler found wrong; used in every wait so a failure ends the test. */
  healthy(): true {
    if (this.failure) throw this.failure;
    return true;
  }

  private onFrame(frame: Frame): void {
    try {
      this.handleFrame(frame);
    } catch (e) {
      this.failure ??= e;
    }
  }

  private handleFrame(frame: Frame): void {
    if (frame.type === 'pong') {
      this.pong = true;
      return;
    }
    if (frame.type !== 'sync') return;
    if (this.buffer) {
      this.buffer.push({ frame, beforePong: !this.pong });
      return;
    }
    this.apply(frame.data ?? {}, 'frame', false);
    this.lastToken = frame.next_batch!;
  }

  private async open(since: string): Promise<void> {
    const ws = new WebSocket(`${this.wsUrl}/?${new URLSearchParams({ access_token: this.user.accessToken, since })}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Frame));
    this.socket = ws;
  }

  async close(): Promise<void> {
    const ws = this.socket;
    this.socket = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }

  private async sync(since?: string): Promise<SyncBody> {
    const res = await this.user.client.get<SyncBody>(`${path.v3}/sync?filter=${filter}${since ? `&since=${encodeURIComponent(since)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** The initial sync, and a connection from its token (before anyone writes). */
  async start(): Promise<void> {
    const initial = await this.sync();
    this.apply(initial, 'sync', false);
    this.lastToken = initial.next_batch;
    await this.open(initial.next_batch);
  }

  /** Messages the reconnect's catch-up /sync returned (missed while disconnected, or not yet pushed). */
  caughtUp = 0;

  /**
   * Drop the connection, wait until `written()` shows a send that started after the close has
   * completed (at most one send per writer was in flight when it closed), reconnect and catch up.
   */
  async reconnect(written: () => number): Promise<void> {
    await this.close();
    const since = this.lastToken;
    const atClose = written();
    await until(() => written() > atClose + WRITERS, () => 'writes while disconnected');
    this.buffer = [];
    this.pong = false;
    await this.open(since);
    const catchUp = await this.sync(since);
    // The old connection's frames are all covered by `since`: the catch-up repeats none of them.
    const before = this.messages;
    this.apply(catchUp, 'sync', false);
    this.caughtUp = this.messages - before;
    this.lastToken = catchUp.next_batch;
    this.socket!.send(JSON.stringify({ action: 'ping', since: catchUp.next_batch }));
    await until(() => this.healthy() && this.pong, () => 'pong');
    // Apply what was pushed meanwhile; once the buffer is empty, frames are applied as they come.
    while (this.buffer.length) {
      const { frame, beforePong } = this.buffer.shift()!;
      this.apply(frame.data ?? {}, 'frame', beforePong);
      if (!beforePong) this.lastToken = frame.next_batch!;
    }
    this.buffer = undefined;
  }

  /** After everything arrived: /sync from the last token has nothing left for these rooms. */
  async tail(): Promise<SyncBody> {
    return this.sync(this.lastToken);
  }
}

describe('WebSocket channel under concurrent writers, with reconnects', () => {
  let runtime: LocalRuntime;
  let writers: RegisteredUser[];
  let rooms: string[];
  let readers: Reader[];

  beforeAll(async () => {
    runtime = await startTestRuntime('websocket-concurrency');
    const anonymous = new TestClient(runtime.httpUrl);
    const users = await Promise.all(Array.from({ length: WRITERS + READERS }, () => registerUser(anonymous)));
    writers = users.slice(0, WRITERS);
    rooms = await Promise.all(Array.from({ length: ROOMS }, (_, r) => createRoom(writers[r % WRITERS]!.client, { preset: 'public_chat' })));
    for (const user of users) {
      for (const roomId of rooms) {
        const res = await user.client.post(path.room(roomId, 'join'), {});
        if (res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.body)}`);
      }
    }
    readers = users.slice(WRITERS).map((user) => new Reader(user, runtime.wsUrl, rooms));
  }, 120_000);
  afterAll(async () => {
    await Promise.all((readers ?? []).map((r) => r.close()));
    await runtime?.stop();
  });

  it('every reader gets every event of its rooms exactly once, in room order, across a reconnect', async () => {
    await Promise.all(readers.map((r) => r.start()));
    let written = 0;

    const write = async (writer: RegisteredUser, w: number) => {
      for (let i = 0; i < MESSAGES_PER_WRITER; i++) {
        const res = await send(writer.client, rooms[i % ROOMS]!, { msgtype: 'm.text', body: `w${w}-${i}` });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        written += 1;
      }
    };
    const follow = async (reader: Reader) => {
      await until(() => reader.healthy() && reader.messages >= TOTAL_MESSAGES / 2, () => `${reader.messages} messages by frames before the reconnect`);
      await reader.reconnect(() => written);
      await until(() => reader.healthy() && reader.messages >= TOTAL_MESSAGES, () => `${reader.messages} of ${TOTAL_MESSAGES} messages`);
    };

    const following = readers.map(follow);
    await Promise.all(writers.map(write));
    await Promise.all(following);

    for (const roomId of rooms) {
      const timeline = (await timelineOf(roomId)).map((entry) => entry.event.event_id);
      for (const reader of readers) {
        const ids = reader.applied.get(roomId)!;
        const start = timeline.indexOf(ids[0]!);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(ids).toEqual(timeline.slice(start));
      }
    }
    for (const reader of readers) {
      reader.healthy();
      expect(reader.messages).toBe(TOTAL_MESSAGES);
      // The reconnect did miss messages, so the catch-up path was exercised.
      expect(reader.caughtUp).toBeGreaterThan(0);
      const tail = await reader.tail();
      for (const roomId of rooms) expect(tail.rooms?.join?.[roomId]?.timeline?.events ?? []).toEqual([]);
    }
  }, 300_000);
});
