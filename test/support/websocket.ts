// WebSocket clients for API tests: a socket that keeps every frame it receives, so a test can
// wait for the one it expects (or check that none came), and the handshake's outcome.
import { WebSocket } from 'ws';

// Waits are bounded only so a broken push fails the test instead of hanging it.
export const WAIT_MS = 20_000;

/** API Gateway's WebSocket frame quota. */
const FRAME_BYTES = 32 * 1024;

/** A WebSocket client that keeps every frame, so a test can wait for the one it expects. */
export class Socket<Frame = { type: string }> {
  readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /**
   * Send one message. API Gateway takes frames of 32 KB at most (a larger one closes the
   * connection with 1009), so a larger message goes in frames of 32 KB, as AWS asks of clients.
   */
  send(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const bytes = Buffer.from(text);
    const frames = Math.max(1, Math.ceil(bytes.length / FRAME_BYTES));
    for (let i = 0; i < frames; i++) this.ws.send(bytes.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES), { binary: false, fin: i === frames - 1 });
  }

  /** The first frame (from `from` on) matching `match`. */
  async next(match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed; frames: ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export type Handshake<Frame = { type: string }> = { ok: true; socket: Socket<Frame> } | { ok: false; status: number };

/** Opens a socket with these query parameters; the handshake's status when the gateway refuses it. */
export function connect<Frame = { type: string }>(url: string, params: Record<string, string>): Promise<Handshake<Frame>> {
  const query = new URLSearchParams(params).toString();
  const ws = new WebSocket(`${url}/${query ? `?${query}` : ''}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ok: true, socket: new Socket<Frame>(ws) }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

export async function open<Frame = { type: string }>(url: string, params: Record<string, string>): Promise<Socket<Frame>> {
  const handshake = await connect<Frame>(url, params);
  if (!handshake.ok) throw new Error(`handshake refused with ${handshake.status}`);
  return handshake.socket;
}


/** Polls a condition the test cannot be told about (a $disconnect runs after the socket closed). */
export async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

