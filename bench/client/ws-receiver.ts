// A client on the WebSocket channel (ARCHITECTURE §7): connects with ?access_token=, notes when
// each timeline event of a pushed `{type:'sync', next_batch, data}` frame arrived.
import WebSocket from 'ws';
import type { SyncResponse, TimelineEvent } from './matrix-client.ts';

export class WsReceiver {
  private socket: WebSocket | undefined;
  frames = 0;

  constructor(
    private readonly wsUrl: string,
    private readonly accessToken: string,
    private readonly onEvent: (event: TimelineEvent, roomId: string, receivedAt: number) => void,
    /** Every pushed sync frame whole (e.g. to read its ephemeral events). */
    private readonly onSync?: (data: SyncResponse, receivedAt: number) => void,
  ) {}

  async connect(): Promise<void> {
    const url = `${this.wsUrl}${this.wsUrl.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(this.accessToken)}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.on('message', (raw) => {
      const receivedAt = performance.now();
      let frame: { type?: string; data?: SyncResponse };
      try {
        frame = JSON.parse(String(raw)) as typeof frame;
      } catch {
        return;
      }
      if (frame.type !== 'sync') return;
      this.frames++;
      if (frame.data) this.onSync?.(frame.data, receivedAt);
      for (const [roomId, room] of Object.entries(frame.data?.rooms?.join ?? {})) {
        for (const event of room.timeline?.events ?? []) this.onEvent(event, roomId, receivedAt);
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket connect refused: ${res.statusCode}`)));
    });
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    });
  }
}
