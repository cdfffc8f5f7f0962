// A minimal Matrix client for benchmarks and load runs: plain fetch, no test framework, no SDK, so
// the time measured is the server's plus one HTTP round trip. Errors carry the status and errcode.
export class MatrixRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'MatrixRequestError';
  }
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: TimelineEvent[]; limited?: boolean; prev_batch?: string }; ephemeral?: { events?: EphemeralEvent[] } }>;
  };
}

/** A room's ephemeral event (m.typing, m.receipt). */
export interface EphemeralEvent {
  type: string;
  content: Record<string, unknown>;
}

export interface TimelineEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  unsigned?: { transaction_id?: string };
}

export interface MessagesResponse {
  chunk: TimelineEvent[];
  start: string;
  end?: string;
}

const v3 = '/_matrix/client/v3';

export interface RequestOptions {
  /** Abort the request after this many ms (default 60 s). */
  timeoutMs?: number;
}

export class BenchClient {
  constructor(
    readonly baseUrl: string,
    readonly accessToken?: string,
    readonly userId = '',
  ) {}

  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(Math.ceil(options.timeoutMs ?? 60_000)),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: text };
    }
    if (!res.ok) {
      const err = parsed as { errcode?: string; error?: string; retry_after_ms?: number };
      throw new MatrixRequestError(res.status, err.errcode, `${method} ${path}: ${res.status} ${err.errcode ?? ''} ${err.error ?? ''}`.trim(), err.retry_after_ms);
    }
    return parsed as T;
  }

  /** Registers through the m.login.dummy user-interactive flow; waits out rate limits. */
  static async register(baseUrl: string, localpart: string, password = 'bench password 1234'): Promise<BenchClient> {
    const anonymous = new BenchClient(baseUrl);
    for (let attempt = 0; ; attempt++) {
      try {
        // The first call answers 401 with the UIA session to complete with m.login.dummy.
        const first = await fetch(`${baseUrl}${v3}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: localpart, password }),
        });
        const body = (await first.json()) as { session?: string; retry_after_ms?: number; errcode?: string };
        if (first.status !== 401) throw new MatrixRequestError(first.status, body.errcode, `register: ${first.status} ${body.errcode ?? ''}`, body.retry_after_ms);
        const done = await anonymous.request<{ user_id: string; access_token: string }>('POST', `${v3}/register`, {
          username: localpart,
          password,
          auth: { type: 'm.login.dummy', ...(body.session ? { session: body.session } : {}) },
        });
        return new BenchClient(baseUrl, done.access_token, done.user_id);
      } catch (e) {
        if (e instanceof MatrixRequestError && e.status === 429 && attempt < 20) {
          await sleep(e.retryAfterMs ?? 1000);
          continue;
        }
        throw e;
      }
    }
  }

  createRoom(body: Record<string, unknown> = { preset: 'public_chat' }): Promise<{ room_id: string }> {
    return this.request('POST', `${v3}/createRoom`, body);
  }

  join(roomId: string): Promise<{ room_id: string }> {
    return this.request('POST', `${v3}/join/${encodeURIComponent(roomId)}`, {});
  }

  send(roomId: string, txnId: string, content: Record<string, unknown>, options: RequestOptions = {}): Promise<{ event_id: string }> {
    return this.request('PUT', `${v3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`, content, options);
  }

  messages(roomId: string, params: { from?: string; dir: 'f' | 'b'; limit?: number }): Promise<MessagesResponse> {
    const query = new URLSearchParams({ dir: params.dir, limit: String(params.limit ?? 100), ...(params.from ? { from: params.from } : {}) });
    return this.request('GET', `${v3}/rooms/${encodeURIComponent(roomId)}/messages?${query}`);
  }

  /** The same user talking to another base URL (e.g. a sync service instance directly, as its load balancer does). */
  at(baseUrl: string): BenchClient {
    return new BenchClient(baseUrl, this.accessToken, this.userId);
  }

  sync(params: { since?: string; timeoutMs?: number; filter?: string } = {}): Promise<SyncResponse> {
    const query = new URLSearchParams({
      ...(params.since ? { since: params.since } : {}),
      ...(params.timeoutMs !== undefined ? { timeout: String(params.timeoutMs) } : {}),
      ...(params.filter ? { filter: params.filter } : {}),
    });
    return this.request('GET', `${v3}/sync?${query}`, undefined, { timeoutMs: (params.timeoutMs ?? 0) + 30_000 });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Every event of a room the client can see, oldest first, paging /messages forwards from the start. */
export async function fullHistory(client: BenchClient, roomId: string): Promise<TimelineEvent[]> {
  // Backwards from the live end to the beginning, then reversed: needs no "start of room" token.
  const events: TimelineEvent[] = [];
  let from: string | undefined;
  for (;;) {
    const page = await client.messages(roomId, { dir: 'b', limit: 500, ...(from ? { from } : {}) });
    events.push(...page.chunk);
    if (!page.end || page.chunk.length === 0) break;
    from = page.end;
  }
  return events.reverse();
}

/** Whether the server routes an operation at all (an unrouted one answers 404 M_UNRECOGNIZED). */
export async function routes(baseUrl: string, method: string, path: string): Promise<boolean> {
  const res = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: 'Bearer probe' } });
  await res.text();
  if (res.status !== 404 && res.status !== 405) return true;
  return false;
}
