// Client side: run matrix-js-sdk's sync loop over Axon's WebSocket channel (ARCHITECTURE §7).
//
//   const transport = createWebSocketSyncTransport({ webSocketUrl, WebSocket });
//   const client = createClient({ baseUrl, accessToken, userId, fetchFn: transport.fetchFn });
//
// Every request goes to HTTP except `/sync` long-polls while the channel is live: those are answered
// from the pushed frames (`{"type":"sync","next_batch":...,"data":<a /sync delta>}`), merged into one
// /sync response. HTTP /sync still serves, as the README describes for the channel:
// - the initial sync (no `since`);
// - the catch-up after each (re)connect: the socket opens FIRST (with `since`), then
//   `/sync?since=<last token>&timeout=0` runs, so every event is either in that response (committed
//   before the connection was registered) or pushed (after); then `{"action":"ping","since":<its
//   next_batch>}` moves the connection's cursor past what the client got over HTTP;
// - a room the client has not joined yet (a joined room's frame carries only its new events, the
//   HTTP sync its whole state);
// - a `{"type":"sync_needed"}` frame: the server committed what frames do not carry (to-device
//   messages, device-list changes, account data, a claimed one-time key) for this device; the next
//   /sync is a catch-up (nudges coalesce: one catch-up in flight, at most one more queued behind it);
// - one sync every `httpSyncIntervalMs`, for a nudge that was lost.
// Nothing is lost, some things may come twice (timeline events repeated by a catch-up are dropped
// by event id; typing, receipts and presence repeat harmlessly).
//
// Self-contained on purpose: it imports nothing of the server (nor of matrix-js-sdk), so a client
// application can import or copy it.

/** The part of the WebSocket API this transport uses (browsers' WebSocket and `ws` both have it). */
export interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface WebSocketSyncTransportOptions {
  /** Axon's WebSocket URL: `/.well-known/matrix/client` → `org.axon.websocket.url`. */
  webSocketUrl: string;
  /** The WebSocket class: `globalThis.WebSocket` by default; in Node 20, `ws`'s. */
  WebSocket?: new (url: string) => WebSocketLike;
  /** Where HTTP requests go: `globalThis.fetch` by default. */
  fetch?: typeof globalThis.fetch;
  /** The access token for the connection; by default the one the SDK sends with its /sync. */
  accessToken?: string;
  /** One /sync per interval goes to HTTP for what the channel does not push. Default 5 minutes. */
  httpSyncIntervalMs?: number;
  /** A ping at least this often keeps the gateway (10-minute idle timeout) from closing. Default 4 minutes. */
  keepAliveMs?: number;
  /** Presence is re-sent this often while unchanged, so it does not decay to idle. Default 1 minute. */
  presenceRefreshMs?: number;
  /** After a failed connect, long-poll over HTTP this long before trying again. Default 10 s. */
  reconnectDelayMs?: number;
}

export interface WebSocketSyncTransport {
  /** Pass as `createClient({ fetchFn })`. */
  fetchFn: typeof globalThis.fetch;
  /** What went where: /sync requests answered over HTTP and from frames, sync and sync_needed frames received, connections opened. */
  readonly stats: { httpSyncs: number; frameSyncs: number; frames: number; nudges: number; connects: number };
  /** Whether /sync is currently answered from the channel. */
  readonly live: boolean;
  /** Close the connection (after `client.stopClient()`). */
  close(): void;
}

type Json = Record<string, unknown>;
interface SyncFrame {
  type: 'sync';
  next_batch: string;
  data: Json;
}

const SYNC_PATH = /\/_matrix\/client\/(?:v3|r0)\/sync$/;
const SECTIONS = ['join', 'invite', 'leave'] as const;
type Section = (typeof SECTIONS)[number];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const eventsOf = (value: unknown): unknown[] => (isObject(value) && Array.isArray(value.events) ? value.events : []);
const roomsOf = (data: Json, section: Section): Json => {
  const rooms = isObject(data.rooms) ? data.rooms[section] : undefined;
  return isObject(rooms) ? rooms : {};
};

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The /sync request was aborted');
  error.name = 'AbortError';
  return error;
}

function bearerToken(headers: RequestInit['headers']): string | undefined {
  const value = new Headers(headers).get('authorization');
  const match = value ? /^Bearer\s+(.+)$/i.exec(value) : null;
  return match?.[1];
}

function jsonResponse(body: Json): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

export function createWebSocketSyncTransport(options: WebSocketSyncTransportOptions): WebSocketSyncTransport {
  const http = options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => globalThis.fetch(input, init));
  const SocketClass = options.WebSocket ?? (globalThis as unknown as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  const httpSyncIntervalMs = options.httpSyncIntervalMs ?? 5 * 60_000;
  const keepAliveMs = options.keepAliveMs ?? 4 * 60_000;
  const presenceRefreshMs = options.presenceRefreshMs ?? 60_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 10_000;
  const stats = { httpSyncs: 0, frameSyncs: 0, frames: 0, nudges: 0, connects: 0 };

  let socket: WebSocketLike | undefined;
  /** The token and sync filter the open socket was connected with. */
  let socketToken: string | undefined;
  let socketFilter: string | null = null;
  let opening: Promise<boolean> | undefined;
  let retryAt = 0;
  let closed = false;
  /** Caught up over HTTP since the socket opened: /sync may be answered from frames. */
  let live = false;
  const queue: SyncFrame[] = [];
  const waiters = new Set<() => void>();
  /** The next_batch last handed to the SDK. */
  let lastToken: string | undefined;
  /** A catch-up's next_batch, handed out instead of frames' until the server confirmed the cursor moved past it. */
  let pinned: string | undefined;
  let pingsUnanswered = 0;
  /** A sync_needed frame came after the last HTTP /sync started: the next /sync is a catch-up. */
  let syncNeeded = false;
  /** Timeline event ids of the last catch-up response (frames pushed meanwhile may repeat them). */
  let caughtUpEventIds = new Set<string>();
  /** Rooms the SDK has been given as joined (a frame for another joined room needs its state over HTTP). */
  const joinedRooms = new Set<string>();
  let lastHttpSyncAt = 0;
  let lastMessageAt = 0;
  let presenceSent: { state: string; at: number } | undefined;

  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };

  function send(message: Json): void {
    if (!socket) return;
    try {
      socket.send(JSON.stringify(message));
      lastMessageAt = Date.now();
    } catch {
      // The socket is closing: its close handler ends the live state.
    }
  }

  /** Tell the server the client has everything up to `token`, so frames' next_batch moves past it. */
  function pingSince(token: string): void {
    pingsUnanswered++;
    send({ action: 'ping', since: token });
  }

  function onFrame(raw: unknown): void {
    let frame: unknown;
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : String(raw));
    } catch {
      return;
    }
    if (!isObject(frame)) return;
    if (frame.type === 'sync' && typeof frame.next_batch === 'string' && isObject(frame.data)) {
      stats.frames++;
      queue.push(frame as unknown as SyncFrame);
      wake();
    } else if (frame.type === 'sync_needed') {
      stats.nudges++;
      syncNeeded = true;
      wake();
    } else if (frame.type === 'pong' || frame.type === 'error') {
      // Pongs answer pings in order of the client's pings; an error frame may answer one too.
      if (pingsUnanswered > 0 && --pingsUnanswered === 0) pinned = undefined;
    }
  }

  function dropSocket(): void {
    socket = undefined;
    socketToken = undefined;
    socketFilter = null;
    live = false;
    pinned = undefined;
    pingsUnanswered = 0;
    queue.length = 0;
    // A connection that was open may be reopened at once (the next /sync catches up over HTTP);
    // only a failed open waits `reconnectDelayMs`.
    wake();
  }

  /**
   * Open the connection (registered at the server once open) with the SDK's sync filter, which the
   * server applies to every frame; false when it cannot be opened now.
   */
  function ensureSocket(token: string, since: string, filter: string | null): Promise<boolean> {
    if (socket && socketToken === token && socketFilter === filter) return Promise.resolve(true);
    if (opening) return opening;
    if (closed || !SocketClass || Date.now() < retryAt) return Promise.resolve(false);
    if (socket) {
      const stale = socket;
      dropSocket();
      stale.close();
    }
    const url = new URL(options.webSocketUrl);
    url.searchParams.set('access_token', token);
    url.searchParams.set('since', since);
    if (filter !== null) url.searchParams.set('filter', filter);
    opening = new Promise<boolean>((resolve) => {
      const candidate = new SocketClass(url.toString());
      let opened = false;
      candidate.onmessage = (event) => {
        if (candidate === socket) onFrame(event.data);
      };
      candidate.onopen = () => {
        opened = true;
        if (closed) {
          candidate.close();
          resolve(false);
          return;
        }
        socket = candidate;
        socketToken = token;
        socketFilter = filter;
        stats.connects++;
        lastMessageAt = Date.now();
        resolve(true);
      };
      const fail = () => {
        if (candidate === socket) dropSocket();
        if (!opened) {
          retryAt = Date.now() + reconnectDelayMs;
          resolve(false);
        }
      };
      candidate.onclose = fail;
      candidate.onerror = fail;
    }).finally(() => {
      opening = undefined;
    });
    return opening;
  }

  function rememberRooms(body: Json): void {
    for (const roomId of Object.keys(roomsOf(body, 'join'))) joinedRooms.add(roomId);
    for (const roomId of Object.keys(roomsOf(body, 'leave'))) joinedRooms.delete(roomId);
  }

  /** A /sync over HTTP, as the SDK asked (or with `timeout=0` for a catch-up), and its body when it worked. */
  async function httpSync(url: URL, init: RequestInit | undefined): Promise<{ response: Response; body?: Json }> {
    stats.httpSyncs++;
    // Whatever a nudge announced was committed before it was sent, so before this request: covered.
    syncNeeded = false;
    const response = await http(url.toString(), init);
    if (!response.ok) return { response };
    const body = (await response.clone().json()) as Json;
    if (typeof body.next_batch === 'string') lastToken = body.next_batch;
    rememberRooms(body);
    lastHttpSyncAt = Date.now();
    const presence = url.searchParams.get('set_presence') ?? 'online';
    if (presence !== 'offline') presenceSent = { state: presence, at: lastHttpSyncAt };
    return { response, body };
  }

  /** Reconnect if needed, then catch up over HTTP from `since`; live again when both worked. */
  async function catchUp(url: URL, init: RequestInit | undefined, since: string, token: string): Promise<Response> {
    live = false;
    const open = await ensureSocket(token, since, url.searchParams.get('filter'));
    if (!open) return (await httpSync(url, init)).response; // no channel: an ordinary long-poll
    const request = new URL(url);
    request.searchParams.set('timeout', '0');
    const { response, body } = await httpSync(request, init);
    if (!body || typeof body.next_batch !== 'string' || !socket) return response;
    caughtUpEventIds = new Set(
      Object.values(roomsOf(body, 'join')).flatMap((room) =>
        eventsOf(isObject(room) ? room.timeline : undefined).flatMap((e) => (isObject(e) && typeof e.event_id === 'string' ? [e.event_id] : [])),
      ),
    );
    // Frames already queued are covered by this response or come after it: their rooms are known now
    // (were one missing from the response, asking HTTP again would not help).
    for (const frame of queue) for (const roomId of Object.keys(roomsOf(frame.data, 'join'))) joinedRooms.add(roomId);
    pinned = body.next_batch;
    pingSince(body.next_batch);
    live = true;
    return response;
  }

  function waitForFrames(timeoutMs: number, signal: AbortSignal | null | undefined): Promise<void> {
    if (queue.length || !live || syncNeeded || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        signal?.removeEventListener('abort', aborted);
      };
      const check = () => {
        if (queue.length || !live || syncNeeded) {
          done();
          resolve();
        }
      };
      const aborted = () => {
        done();
        reject(abortError(signal!));
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, timeoutMs);
      waiters.add(check);
      signal?.addEventListener('abort', aborted);
    });
  }

  /** Whether the queued frames name a joined room the SDK was never given over HTTP. */
  const framesNeedRoomState = () => queue.some((f) => Object.keys(roomsOf(f.data, 'join')).some((roomId) => !joinedRooms.has(roomId)));

  /** Merge queued frames into one /sync response; a frame moving a room to another section waits for the next one. */
  function drain(): Json {
    const sections: Record<Section, Record<string, Json>> = { join: {}, invite: {}, leave: {} };
    const presence: unknown[] = [];
    const accountData: unknown[] = [];
    const sectionOf = new Map<string, Section>();
    let taken = 0;
    let nextBatch = lastToken ?? '';
    for (const frame of queue) {
      const conflict = SECTIONS.some((section) => Object.keys(roomsOf(frame.data, section)).some((roomId) => (sectionOf.get(roomId) ?? section) !== section));
      if (conflict && taken > 0) break;
      taken++;
      nextBatch = frame.next_batch;
      for (const section of SECTIONS) {
        for (const [roomId, room] of Object.entries(roomsOf(frame.data, section))) {
          if (!isObject(room)) continue;
          sectionOf.set(roomId, section);
          const merged = (sections[section][roomId] ??= {});
          for (const [part, value] of Object.entries(room)) {
            let events = eventsOf(value);
            if (part === 'timeline') events = events.filter((e) => !(isObject(e) && typeof e.event_id === 'string' && caughtUpEventIds.has(e.event_id)));
            const into = isObject(merged[part]) ? (merged[part] as Json) : (merged[part] = { events: [] } as Json);
            (into.events as unknown[]).push(...events);
          }
        }
      }
      presence.push(...eventsOf(frame.data.presence));
      accountData.push(...eventsOf(frame.data.account_data));
    }
    queue.splice(0, taken);
    const body: Json = {
      next_batch: pinned ?? nextBatch,
      rooms: sections,
      presence: { events: presence },
      account_data: { events: accountData },
    };
    lastToken = body.next_batch as string;
    rememberRooms(body);
    return body;
  }

  /** What the SDK's sync presence says the server should record (as an HTTP /sync would). */
  function keepPresence(setPresence: string | null): void {
    const state = setPresence ?? 'online';
    const now = Date.now();
    if (state !== 'offline' && (presenceSent?.state !== state || now - presenceSent.at >= presenceRefreshMs)) {
      send({ action: 'presence', presence: state });
      presenceSent = { state, at: now };
    }
    if (now - lastMessageAt >= keepAliveMs && lastToken) pingSince(lastToken);
  }

  async function sync(url: URL, init: RequestInit | undefined): Promise<Response> {
    const since = url.searchParams.get('since');
    const token = options.accessToken ?? bearerToken(init?.headers);
    if (!since || !token || closed) return (await httpSync(url, init)).response;
    const sameConnection = socketToken === token && socketFilter === url.searchParams.get('filter');
    if (!live || !sameConnection || since !== lastToken || syncNeeded || Date.now() - lastHttpSyncAt >= httpSyncIntervalMs) return catchUp(url, init, since, token);
    if (init?.signal?.aborted) throw abortError(init.signal);
    await waitForFrames(Number(url.searchParams.get('timeout') ?? '0'), init?.signal);
    if (!live || syncNeeded || framesNeedRoomState()) return catchUp(url, init, since, token);
    keepPresence(url.searchParams.get('set_presence'));
    stats.frameSyncs++;
    return jsonResponse(drain());
  }

  const fetchFn = ((input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = new URL(href);
    if (method !== 'GET' || !SYNC_PATH.test(url.pathname) || input instanceof Request) return http(input, init);
    return sync(url, init);
  }) as typeof globalThis.fetch;

  return {
    fetchFn,
    stats,
    get live() {
      return live;
    },
    close() {
      closed = true;
      const open = socket;
      dropSocket();
      open?.close();
    },
  };
}
