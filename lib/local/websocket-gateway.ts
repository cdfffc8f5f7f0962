// The local stand-in for the module's API Gateway WebSocket API: `$connect` decides on the
// handshake, text frames are routed by `$request.body.<routeSelectionField>` (else `$default`),
// `$disconnect` runs when a connection ends, and the `@connections` management API is served so
// functions push frames with the real ApiGatewayManagementApiClient — on its own port, on loopback
// whatever the clients' host, and only to requests signed with the gateway's per-run credentials.

import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ModuleDecl } from '../core/module.ts';
import { domainNameOf, gatewayId, sourceIpOf } from './gateway/aws-format.ts';
import { handleConnectionsRequest, type ManagedConnection } from './gateway/connections-api.ts';
import type { SigningCredentials } from './gateway/sigv4.ts';
import { frameSizes, MAX_FRAME_BYTES } from './gateway/frame-sizes.ts';
import { connectEvent, disconnectEvent, messageEvent, type ConnectionFacts, type WebSocketEvent } from './gateway/websocket-event.ts';
import { listen } from './listen.ts';

export type { WebSocketEvent };

/**
 * Runs a route's function. The event is `APIGatewayProxyWebsocketEventV2` plus, on `$connect`,
 * the handshake's `headers`/`queryStringParameters` (and their multi-value forms).
 */
export type InvokeWebSocket = (functionName: string, event: WebSocketEvent) => Promise<unknown>;

export interface WebSocketGateway {
  /** ws://host:port — where clients connect. */
  url: string;
  /** http://127.0.0.1:port — the ApiGatewayManagementApiClient endpoint. */
  managementEndpoint: string;
  /** What the ApiGatewayManagementApiClient must sign its requests with. */
  managementCredentials: SigningCredentials;
  port: number;
  connectionCount(): number;
  stop(): Promise<void>;
}

export interface WebSocketGatewayOptions {
  module: ModuleDecl;
  /** 0 picks a free port. */
  port: number;
  /** Where clients connect; default 127.0.0.1. */
  host?: string;
  /** The `@connections` endpoint's port (always on loopback); 0 or absent picks a free one. */
  managementPort?: number;
  /** Default: a random key for this run. */
  managementCredentials?: SigningCredentials;
  invoke: InvokeWebSocket;
  log?: (line: string) => void;
  /** `requestContext.apiId` / `stage` in events (the deployed stage is lib/stacks' WEBSOCKET_STAGE). */
  apiId?: string;
  stage?: string;
  /** AWS closes a connection with no incoming message for 10 minutes... */
  idleTimeoutMs?: number;
  /** ...and any connection after 2 hours. */
  maxConnectionMs?: number;
}

/** The `@connections` endpoint listens here only: it is for this machine's functions. */
export const MANAGEMENT_HOST = '127.0.0.1';

export const IDLE_TIMEOUT_MS = 10 * 60_000;
export const MAX_CONNECTION_MS = 2 * 60 * 60_000;

/** AWS's limit for one incoming WebSocket message. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

interface Connection extends ManagedConnection {
  facts: ConnectionFacts;
  socket: WebSocket;
  /** Messages of one connection are handled one after the other, in arrival order. */
  queue: Promise<void>;
}

/** The status a `$connect` result answers the handshake with: its statusCode, else 200. */
function connectStatus(result: unknown): number {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const status = (result as { statusCode: unknown }).statusCode;
    if (typeof status === 'number') return status;
  }
  return 200;
}

function refuseHandshake(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const { module, invoke } = options;
  const host = options.host ?? '127.0.0.1';
  const apiId = options.apiId ?? 'local';
  const stage = options.stage ?? 'local';
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const maxConnectionMs = options.maxConnectionMs ?? MAX_CONNECTION_MS;
  const log = options.log ?? (() => {});
  const managementCredentials = options.managementCredentials ?? { accessKeyId: 'AXONLOCAL', secretAccessKey: randomBytes(32).toString('base64url') };
  const routes = new Map(module.websocket.routes.map((r) => [r.route, r.function]));
  const field = module.websocket.routeSelectionField;
  const connections = new Map<string, Connection>();
  const pending = new Set<Promise<unknown>>();
  let stopping = false;
  let listenAddress = host;

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };

  const describe = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

  function routeFor(body: string): string | undefined {
    let selected: string | undefined;
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const value = (parsed as Record<string, unknown>)[field];
        if (typeof value === 'string' && !value.startsWith('$')) selected = value;
      }
    } catch {
      // Not JSON: only `$default` can take it.
    }
    if (selected !== undefined && routes.has(selected)) return selected;
    return routes.has('$default') ? '$default' : undefined;
  }

  /** The error frame API Gateway sends a client when its message could not be handled. */
  function sendGatewayError(c: Connection, message: string): void {
    if (c.socket.readyState !== WebSocket.OPEN) return;
    c.socket.send(JSON.stringify({ message, connectionId: c.facts.connectionId, requestId: gatewayId() }));
  }

  async function onMessage(c: Connection, body: string): Promise<void> {
    const route = routeFor(body);
    if (route === undefined) {
      sendGatewayError(c, 'Forbidden');
      return;
    }
    const fn = routes.get(route)!;
    try {
      await invoke(fn, messageEvent(c.facts, route, body, Date.now()));
    } catch (err) {
      log(`websocket route ${route} (${fn}) failed for ${c.facts.connectionId}: ${describe(err)}`);
      sendGatewayError(c, 'Internal server error');
    }
  }

  function onOpen(ws: WebSocket, facts: ConnectionFacts, refused: () => boolean): void {
    const c: Connection = {
      facts,
      socket: ws,
      queue: Promise.resolve(),
      connectedAt: facts.connectedAt,
      lastActiveAt: facts.connectedAt,
      sourceIp: facts.sourceIp,
      userAgent: facts.userAgent,
      post(data) {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send(data, { binary: false });
        return true;
      },
      close() {
        ws.close(1000, 'Connection closed by the server');
      },
    };
    connections.set(facts.connectionId, c);
    const goAway = () => ws.close(1001, 'Going away');
    let idle = setTimeout(goAway, idleTimeoutMs);
    const lifetime = setTimeout(goAway, maxConnectionMs);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      c.lastActiveAt = Date.now();
      clearTimeout(idle);
      idle = setTimeout(goAway, idleTimeoutMs);
      // The message of a frame over the limit is not delivered: the connection is closing.
      if (refused()) return;
      if (isBinary) {
        // WebSocket APIs take text frames only.
        ws.close(1003, 'Binary frames are not supported');
        return;
      }
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      c.queue = track(c.queue.then(() => onMessage(c, text)));
    });
    ws.on('error', (err) => log(`websocket ${facts.connectionId}: ${err.message}`));
    ws.on('close', (code, reason) => {
      clearTimeout(idle);
      clearTimeout(lifetime);
      connections.delete(facts.connectionId);
      const fn = routes.get('$disconnect');
      log(`websocket ${facts.connectionId} closed (${code})`);
      if (!fn) return;
      const event = disconnectEvent(facts, code, reason.toString('utf8'), Date.now());
      c.queue = track(
        c.queue.then(() => invoke(fn, event)).then(
          () => {},
          (err: unknown) => log(`websocket route $disconnect (${fn}) failed for ${facts.connectionId}: ${describe(err)}`),
        ),
      );
    });
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', (err) => log(`websocket handshake: ${err.message}`));
    if (stopping) {
      refuseHandshake(socket, 503);
      return;
    }
    const now = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const facts: ConnectionFacts = {
      connectionId: gatewayId(),
      connectedAt: now,
      sourceIp: sourceIpOf(req.socket.remoteAddress),
      userAgent: req.headers['user-agent'],
      domainName: domainNameOf(req.headers.host, listenAddress),
      apiId,
      stage,
    };
    const fn = routes.get('$connect');
    if (fn) {
      let status: number;
      try {
        const event = connectEvent(facts, { rawHeaders: req.rawHeaders, rawQueryString: q < 0 ? '' : url.slice(q + 1) }, now);
        status = connectStatus(await track(invoke(fn, event)));
      } catch (err) {
        log(`websocket route $connect (${fn}) failed: ${describe(err)}`);
        status = 500;
      }
      if (status < 200 || status > 299) {
        log(`websocket connect refused with ${status}`);
        refuseHandshake(socket, status);
        return;
      }
    }
    if (socket.destroyed || stopping) {
      socket.destroy();
      return;
    }
    // Frames over API Gateway's 32 KB close the connection with 1009 (`ws` limits whole messages
    // only, to 128 KB). Read beside `ws`, from before it reads: a frame is refused from its header.
    let opened: WebSocket | undefined;
    let frameTooLarge = false;
    socket.on(
      'data',
      frameSizes((bytes) => {
        if (bytes <= MAX_FRAME_BYTES || frameTooLarge) return;
        frameTooLarge = true;
        log(`websocket ${facts.connectionId}: a ${bytes}-byte frame is over the ${MAX_FRAME_BYTES}-byte limit`);
        opened?.close(1009, 'Message too big');
      }),
    );
    wss.handleUpgrade(req, socket, head, (ws) => {
      opened = ws;
      onOpen(ws, facts, () => frameTooLarge);
      if (frameTooLarge) ws.close(1009, 'Message too big');
    });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  // Clients' port: WebSocket handshakes only.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const body = JSON.stringify({ message: 'Upgrade Required' });
    res.writeHead(426, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), upgrade: 'websocket', connection: 'Upgrade' });
    res.end(body);
  });
  const management = createServer((req, res) => {
    handleConnectionsRequest(req, res, (id) => connections.get(id), managementCredentials).catch((err: unknown) => {
      log(`@connections error: ${describe(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((err: unknown) => {
      log(`websocket upgrade error: ${describe(err)}`);
      socket.destroy();
    });
  });
  const { port, address, urlHost } = await listen(server, options.port, host);
  listenAddress = address;
  let managementPort: number;
  try {
    managementPort = (await listen(management, options.managementPort ?? 0, MANAGEMENT_HOST)).port;
  } catch (e) {
    server.close();
    throw e;
  }

  async function stop(): Promise<void> {
    stopping = true;
    // Close every socket the way a server going away does; $disconnect still runs for each.
    await Promise.all(
      [...connections.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === WebSocket.CLOSED) return resolve();
            c.socket.once('close', () => resolve());
            c.socket.close(1001, 'Going away');
            // A client that never answers the close frame is cut off.
            setTimeout(() => c.socket.terminate(), 1000).unref();
          }),
      ),
    );
    while (pending.size) await Promise.allSettled([...pending]);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await Promise.all(
      [server, management].map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            s.close((err) => (err ? reject(err) : resolve()));
            s.closeAllConnections();
          }),
      ),
    );
  }

  return {
    url: `ws://${urlHost}:${port}`,
    managementEndpoint: `http://${MANAGEMENT_HOST}:${managementPort}`,
    managementCredentials,
    port,
    connectionCount: () => connections.size,
    stop,
  };
}
