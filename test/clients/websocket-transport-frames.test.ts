// The WebSocket sync transport's own rules, without a server: which /sync goes to HTTP, how frames
// become one /sync response (merged; timeline events a catch-up already gave dropped; a room moving
// to another section waits for the next response), which next_batch the SDK gets, presence and
// aborts, and sync_needed nudges (one HTTP catch-up, coalesced). The socket and HTTP here are scripted stand-ins for the client's side of the wire.
import { describe, expect, it } from 'vitest';
import { createWebSocketSyncTransport, type WebSocketLike } from '../../lib/clients/matrix-js-sdk-websocket.ts';

const base = 'https://axon.test/_matrix/client/v3/sync';
const auth = { headers: { Authorization: 'Bearer tok' } };

class ScriptedSocket implements WebSocketLike {
  static opened: ScriptedSocket[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  readonly sent: Record<string, unknown>[] = [];
  constructor(readonly url: string) {
    ScriptedSocket.opened.push(this);
    queueMicrotask(() => this.onopen?.({}));
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.onclose?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

function setup() {
  ScriptedSocket.opened = [];
  const requests: URL[] = [];
  const answers: unknown[] = [];
  /** While set, HTTP answers wait for it (a request in flight). */
  let hold: Promise<void> | undefined;
  const http: typeof fetch = async (input) => {
    requests.push(new URL(String(input)));
    await hold;
    return new Response(JSON.stringify(answers.shift()), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const transport = createWebSocketSyncTransport({ webSocketUrl: 'wss://axon.test/ws', WebSocket: ScriptedSocket, fetch: http });
  const sync = async (query: string, init: RequestInit = auth) => (await (await transport.fetchFn(`${base}?${query}`, init)).json()) as Record<string, unknown>;
  const holdHttp = () => {
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    return () => {
      hold = undefined;
      release();
    };
  };
  return { transport, requests, answers, sync, holdHttp, socket: () => ScriptedSocket.opened.at(-1)! };
}

/** Until `requests` holds `n` (the transport's HTTP call runs a few microtasks after the frame). */
async function requestsReach(requests: URL[], n: number): Promise<void> {
  while (requests.length < n) await new Promise((r) => setTimeout(r, 1));
}

const timeline = (...ids: string[]) => ({ timeline: { events: ids.map((event_id) => ({ event_id, type: 'm.room.message' })) } });

describe('the WebSocket sync transport', () => {
  it('syncs over HTTP until caught up after connecting, then answers from merged frames', async () => {
    const { transport, requests, answers, sync, socket } = setup();
    answers.push({ next_batch: 't0', rooms: { join: { '!a': timeline() } } });
    expect((await sync('timeout=0')).next_batch).toBe('t0');
    expect(ScriptedSocket.opened).toHaveLength(0);

    // The next /sync opens the socket first (with since), then catches up over HTTP without waiting.
    answers.push({ next_batch: 't1', rooms: { join: { '!a': timeline('$1') } } });
    expect((await sync('since=t0&timeout=30000')).next_batch).toBe('t1');
    expect(new URL(socket().url).searchParams.get('access_token')).toBe('tok');
    expect(new URL(socket().url).searchParams.get('since')).toBe('t0');
    expect(requests.at(-1)!.searchParams.get('timeout')).toBe('0');
    expect(socket().sent).toEqual([{ action: 'ping', since: 't1' }]);
    expect(transport.live).toBe(true);

    socket().receive({ type: 'sync', next_batch: 'c1', data: { rooms: { join: { '!a': timeline('$1', '$2') } } } });
    socket().receive({
      type: 'sync',
      next_batch: 'c2',
      data: { rooms: { join: { '!a': { ephemeral: { events: [{ type: 'm.typing', content: { user_ids: ['@b:x'] } }] } } } }, presence: { events: [{ type: 'm.presence', sender: '@b:x' }] } },
    });
    socket().receive({ type: 'sync', next_batch: 'c3', data: { rooms: { leave: { '!a': timeline('$3') } } } });
    const merged = await sync('since=t1&timeout=30000');
    expect(merged).toMatchObject({
      // Until the server answered the ping, the catch-up's token stands (frames' may predate it).
      next_batch: 't1',
      rooms: { join: { '!a': { timeline: { events: [{ event_id: '$2' }] }, ephemeral: { events: [{ type: 'm.typing' }] } } }, leave: {} },
      presence: { events: [{ sender: '@b:x' }] },
    });
    socket().receive({ type: 'pong' });
    // The leave waited for its own response.
    const left = await sync('since=t1&timeout=30000');
    expect(left).toMatchObject({ next_batch: 'c3', rooms: { join: {}, leave: { '!a': { timeline: { events: [{ event_id: '$3' }] } } } } });
    // Nothing new: an empty response with the same token once the timeout ran out.
    expect(await sync('since=c3&timeout=20')).toMatchObject({ next_batch: 'c3', rooms: { join: {} }, presence: { events: [] } });
    expect(requests).toHaveLength(2);
    expect(transport.stats).toMatchObject({ httpSyncs: 2, frameSyncs: 3, frames: 3, connects: 1 });
  });

  it('catches up over HTTP for an unknown token, a newly joined room and a closed socket', async () => {
    const { requests, answers, sync, socket, transport } = setup();
    answers.push({ next_batch: 't0' }, { next_batch: 't1', rooms: { join: { '!a': timeline() } } });
    await sync('timeout=0');
    await sync('since=t0&timeout=0');
    socket().receive({ type: 'pong' });

    answers.push({ next_batch: 't2' });
    expect((await sync('since=elsewhere&timeout=30000')).next_batch).toBe('t2');
    expect(requests.at(-1)!.searchParams.get('since')).toBe('elsewhere');

    // A frame for a room the SDK was never given: its state comes over HTTP, the frame's events after.
    socket().receive({ type: 'sync', next_batch: 'c1', data: { rooms: { join: { '!new': timeline('$9') } } } });
    answers.push({ next_batch: 't3', rooms: { join: { '!new': { state: { events: [{ type: 'm.room.create' }] }, ...timeline() } } } });
    expect((await sync('since=t2&timeout=30000')).next_batch).toBe('t3');
    expect(requests).toHaveLength(4);

    // The frame itself follows (its events may repeat what the catch-up gave; these are new).
    expect(await sync('since=t3&timeout=0')).toMatchObject({ next_batch: 't3', rooms: { join: { '!new': timeline('$9') } } });
    // The socket closes while a /sync waits: it reconnects and catches up.
    const waiting = sync('since=t3&timeout=30000');
    answers.push({ next_batch: 't4' });
    const first = socket();
    first.close();
    expect((await waiting).next_batch).toBe('t4');
    expect(ScriptedSocket.opened).toHaveLength(2);
    expect(new URL(socket().url).searchParams.get('since')).toBe('t3');
    expect(transport.stats.connects).toBe(2);

    // Another sync filter: a new connection with it, so the server filters frames as the syncs.
    answers.push({ next_batch: 't5' });
    expect((await sync('since=t4&timeout=30000&filter=7')).next_batch).toBe('t5');
    expect(ScriptedSocket.opened).toHaveLength(3);
    expect(new URL(socket().url).searchParams.get('filter')).toBe('7');
  });

  it("sends the sync's presence as an action, never for offline, and rejects an aborted wait as AbortError", async () => {
    const { answers, sync, socket, transport } = setup();
    answers.push({ next_batch: 't0' }, { next_batch: 't1' });
    await sync('timeout=0');
    await sync('since=t0&timeout=0');
    socket().receive({ type: 'pong' });
    await sync('since=t1&timeout=0&set_presence=unavailable');
    await sync('since=t1&timeout=0&set_presence=offline');
    await sync('since=t1&timeout=0');
    expect(socket().sent.filter((m) => m.action === 'presence')).toEqual([
      { action: 'presence', presence: 'unavailable' },
      { action: 'presence', presence: 'online' },
    ]);

    const abort = new AbortController();
    const waiting = sync('since=t1&timeout=30000', { ...auth, signal: abort.signal });
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    transport.close();
  });

  it('a sync_needed frame ends the wait with one HTTP catch-up, merged as after a reconnect', async () => {
    const { answers, requests, sync, socket, transport } = setup();
    answers.push({ next_batch: 't0' }, { next_batch: 't1', rooms: { join: { '!a': timeline() } } });
    await sync('timeout=0');
    await sync('since=t0&timeout=0');
    socket().receive({ type: 'pong' });

    const waiting = sync('since=t1&timeout=30000');
    answers.push({ next_batch: 't2', to_device: { events: [{ type: 'm.room_key', sender: '@b:x', content: {} }] } });
    socket().receive({ type: 'sync_needed', reason: 'to_device' });
    expect(await waiting).toMatchObject({ next_batch: 't2', to_device: { events: [{ type: 'm.room_key' }] } });
    expect(requests).toHaveLength(3);
    expect(requests.at(-1)!.searchParams.get('since')).toBe('t1');
    expect(requests.at(-1)!.searchParams.get('timeout')).toBe('0');
    // As after a reconnect: the server is told the client has everything up to the catch-up.
    expect(socket().sent.at(-1)).toEqual({ action: 'ping', since: 't2' });
    expect(transport.live).toBe(true);
    expect(transport.stats).toMatchObject({ httpSyncs: 3, nudges: 1, connects: 1 });

    // Frames go on as before: no HTTP for the next /sync.
    socket().receive({ type: 'pong' });
    socket().receive({ type: 'sync', next_batch: 'c1', data: { rooms: { join: { '!a': timeline('$1') } } } });
    expect(await sync('since=t2&timeout=30000')).toMatchObject({ next_batch: 'c1', rooms: { join: { '!a': timeline('$1') } } });
    expect(requests).toHaveLength(3);
  });

  it('coalesces nudges: one catch-up in flight, at most one queued behind it, then frames again', async () => {
    const { answers, requests, sync, socket, holdHttp } = setup();
    answers.push({ next_batch: 't0' }, { next_batch: 't1' });
    await sync('timeout=0');
    await sync('since=t0&timeout=0');
    socket().receive({ type: 'pong' });

    // Nudges before the SDK asks again: one catch-up covers them all.
    for (const reason of ['to_device', 'account_data', 'device_lists']) socket().receive({ type: 'sync_needed', reason });
    const release = holdHttp();
    answers.push({ next_batch: 't2' }, { next_batch: 't3' });
    const first = sync('since=t1&timeout=30000');
    await requestsReach(requests, 3);
    // Nudges while that catch-up is in flight may announce what it missed: one more catch-up, not three.
    for (let i = 0; i < 3; i++) socket().receive({ type: 'sync_needed', reason: 'to_device' });
    release();
    expect((await first).next_batch).toBe('t2');
    socket().receive({ type: 'pong' });
    expect((await sync('since=t2&timeout=30000')).next_batch).toBe('t3');
    expect(requests).toHaveLength(4);
    socket().receive({ type: 'pong' });

    // Nothing queued any more: the next /sync waits for frames (none come; its timeout ends it).
    expect(await sync('since=t3&timeout=20')).toMatchObject({ next_batch: 't3', rooms: { join: {} } });
    expect(requests).toHaveLength(4);
  });

  it('ignores frame types it does not know (what a newer server may add)', async () => {
    const { answers, requests, sync, socket } = setup();
    answers.push({ next_batch: 't0' }, { next_batch: 't1' });
    await sync('timeout=0');
    await sync('since=t0&timeout=0');
    socket().receive({ type: 'pong' });
    socket().receive({ type: 'something_new', data: { rooms: { join: { '!a': timeline('$1') } } } });
    expect(await sync('since=t1&timeout=20')).toMatchObject({ next_batch: 't1', rooms: { join: {} } });
    expect(requests).toHaveLength(2);
  });
});
