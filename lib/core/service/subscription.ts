// An instance's side of notices (notices.ts): one connection to the module's WebSocket API,
// registered under the service, kept alive with a ping well inside the gateway's idle timeout,
// replaced before the gateway's 2-hour limit (the new connection opens before the old one closes,
// so no notice falls between), and reopened with backoff when lost. The owner learns when notices
// may have been missed: `onConnected(false)` when the connection is lost, `onConnected(true)` once a
// new one is open (everything from then on arrives; what came in between must be re-checked).
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { dropInstance, registerInstance, SUBSCRIPTION_PARAMETER, subscriptionValue, type NoticeFrame } from './notices.ts';
import { backoffDelay } from '../backoff.ts';

export interface SubscriptionOptions {
  service: string;
  /** The WebSocket API's URL (wss://… on AWS, ws://… locally). */
  webSocketUrl: string;
  onNotice(data: unknown): void;
  /** Whether notices arrive now; false → true means some may have been missed meanwhile. */
  onConnected(connected: boolean): void;
  log?: (line: string) => void;
  /** Client message interval that keeps the connection (the gateway closes it after 10 idle minutes). */
  pingIntervalMs?: number;
  /** Replace the connection after this long (the gateway closes any connection after 2 hours). */
  replaceAfterMs?: number;
}

export interface ServiceSubscription {
  /** Resolves once a connection is open the first time (attempts go on with backoff until then). */
  ready: Promise<void>;
  connected(): boolean;
  /** Close the connection and forget the registration (`abrupt`: drop the socket and forget nothing, as a dying process does). */
  close(options?: { abrupt?: boolean }): Promise<void>;
}

const PING_INTERVAL_MS = 5 * 60_000;
const REPLACE_AFTER_MS = 100 * 60_000;
const MAX_BACKOFF_MS = 10_000;

interface Link {
  nonce: string;
  socket: WebSocket;
  timers: NodeJS.Timeout[];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function subscribeToNotices(options: SubscriptionOptions): ServiceSubscription {
  const log = options.log ?? (() => undefined);
  const { service } = options;
  let current: Link | undefined;
  let closing = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const setConnected = (value: boolean) => {
    try {
      options.onConnected(value);
    } catch (err) {
      log(`${service} subscription: onConnected failed: ${describe(err)}`);
    }
  };

  function stopTimers(link: Link): void {
    for (const t of link.timers) clearTimeout(t);
    link.timers = [];
  }

  /** Open a registered connection; resolves with it once the gateway has accepted it. */
  async function open(): Promise<Link> {
    const nonce = randomBytes(24).toString('base64url');
    await registerInstance(service, nonce);
    const url = new URL(options.webSocketUrl);
    url.searchParams.set(SUBSCRIPTION_PARAMETER, subscriptionValue(service, nonce));
    const socket = new WebSocket(url);
    const link: Link = { nonce, socket, timers: [] };
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with ${res.statusCode}`)));
    }).catch(async (err: unknown) => {
      socket.terminate();
      await dropInstance(service, nonce).catch(() => undefined);
      throw err;
    });
    socket.on('message', (data) => {
      let frame: NoticeFrame | undefined;
      try {
        frame = JSON.parse(data.toString()) as NoticeFrame;
      } catch {
        return;
      }
      if (frame?.type !== 'notice') return;
      try {
        options.onNotice(frame.data);
      } catch (err) {
        log(`${service} subscription: notice handling failed: ${describe(err)}`);
      }
    });
    socket.on('error', (err) => log(`${service} subscription: ${err.message}`));
    socket.on('close', () => {
      stopTimers(link);
      void dropInstance(service, nonce).catch(() => undefined);
      if (current !== link) return; // replaced on purpose, or closing
      current = undefined;
      setConnected(false);
      if (!closing) scheduleReconnect();
    });
    const ping = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ action: 'ping' })), options.pingIntervalMs ?? PING_INTERVAL_MS);
    const replace = setTimeout(() => void replaceLink(link), options.replaceAfterMs ?? REPLACE_AFTER_MS);
    ping.unref();
    replace.unref();
    link.timers.push(ping, replace);
    return link;
  }

  async function connect(): Promise<void> {
    const link = await open();
    if (closing) {
      link.socket.close(1000);
      return;
    }
    current = link;
    failures = 0;
    setConnected(true);
    markReady();
  }

  function attempt(): void {
    connect().catch((err: unknown) => {
      log(`${service} subscription: connecting failed: ${describe(err)}`);
      if (!closing) scheduleReconnect();
    });
  }

  function scheduleReconnect(): void {
    const delay = backoffDelay(failures, { baseMs: 100, maxMs: MAX_BACKOFF_MS, jitter: 'half' });
    failures++;
    retry = setTimeout(attempt, delay);
  }

  /** The new connection opens before the old one closes: no notice is missed in between. */
  async function replaceLink(old: Link): Promise<void> {
    if (closing || current !== old) return;
    try {
      const next = await open();
      if (closing || current !== old) {
        next.socket.close(1000);
        return;
      }
      current = next;
      stopTimers(old);
      old.socket.close(1000, 'replaced');
    } catch (err) {
      log(`${service} subscription: replacing the connection failed: ${describe(err)}`);
      const again = setTimeout(() => void replaceLink(old), 30_000);
      again.unref();
      old.timers.push(again);
    }
  }

  attempt();

  return {
    ready,
    connected: () => current !== undefined && current.socket.readyState === WebSocket.OPEN,
    async close({ abrupt = false } = {}) {
      closing = true;
      clearTimeout(retry);
      const link = current;
      current = undefined;
      if (!link) return;
      stopTimers(link);
      if (abrupt) {
        link.socket.removeAllListeners('close');
        link.socket.terminate();
        return;
      }
      await new Promise<void>((resolve) => {
        if (link.socket.readyState === WebSocket.CLOSED) return resolve();
        link.socket.once('close', () => resolve());
        link.socket.close(1000, 'instance stopping');
        setTimeout(() => link.socket.terminate(), 1000).unref();
      });
      await dropInstance(service, link.nonce).catch(() => undefined);
    },
  };
}
