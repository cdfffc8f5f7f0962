// Hosts a long-lived service (ServiceDecl, lib/core/module.ts): an HTTP server for the routes the
// module gives the service, with the same operations and error mapping as the functions' (the
// HTTP API forwards those requests as they are: a private integration on AWS, the local gateway
// here), a health check for the load balancer, and the instance's subscription to notices.
//
//   GET /health   200 while notices arrive, else 503 (a load balancer stops sending requests)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ModuleDecl } from '../core/module.ts';
import { subscribeToNotices, type ServiceSubscription } from '../core/service/subscription.ts';
import { operationsByRouteKey, runOperation, type RequestParts } from './http-function.ts';
import type { DeclaredOperation, HttpHooks, Operation } from './operation.ts';
import { matchRoute } from './route-matching.ts';
import { routeKey } from '../core/module.ts';

/** What a service's entry module exports (`service`): its operations and how it takes notices. */
export interface ServiceDefinition {
  /** The service's name in its module's declaration. */
  name: string;
  module: ModuleDecl;
  /** The operations of the routes that name this service. */
  operations: Record<string, Operation | DeclaredOperation>;
  /** What the operations' declarations and errors mean (the protocol's hooks, operation.ts). */
  hooks: HttpHooks;
  onNotice(data: unknown): void;
  /** Whether notices arrive now; false → true means some may have been missed meanwhile. */
  onConnected(connected: boolean): void;
  /** Requests open now (waiting ones included): what scaling looks at. */
  openRequests(): number;
  /** The instance is stopping: answer what waits now, so the clients' next requests go elsewhere. */
  drain(): Promise<void>;
  /** Runs each request's operation (its authentication included), e.g. in a scope of coalesced reads. */
  around?<T>(serve: () => Promise<T>): Promise<T>;
}

export interface ServiceHostOptions {
  definition: ServiceDefinition;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (0.0.0.0 in a container). */
  host?: string;
  /** The module's WebSocket API, where the instance subscribes to notices. */
  webSocketUrl: string;
  log?: (line: string) => void;
  /** Every request served, with its route key (benchmarks count them). */
  onRequest?: (routeKey: string) => void;
}

export interface ServiceHost {
  url: string;
  port: number;
  subscription: ServiceSubscription;
  /** Requests open now (the definition's count). */
  openRequests(): number;
  /** Stop taking requests, answer what waits, close. */
  stop(): Promise<void>;
  /** Die at once, as a killed task does: connections dropped, nothing answered, no clean-up. */
  kill(): Promise<void>;
}

/** API Gateway's limit for a request body; the operation's own limit applies after. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Kept for answering before the HTTP API's integration timeout. */
const TIMEOUT_MARGIN_MS = 1_000;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), 'content-length': String(body.length) });
  res.end(body);
}

export async function startServiceHost(options: ServiceHostOptions): Promise<ServiceHost> {
  const { definition } = options;
  const { module, name } = definition;
  const log = options.log ?? (() => undefined);
  const decl = module.services?.[name];
  if (!decl) throw new Error(`module "${module.name}" declares no service "${name}"`);
  const routes = module.http.routes.filter((r) => r.service === name);
  const operations = operationsByRouteKey(routes, definition.operations, `service ${name}`);
  const timeoutMs = (decl.timeoutSeconds ?? 30) * 1000 - TIMEOUT_MARGIN_MS;
  let stopping = false;

  const subscription = subscribeToNotices({
    service: name,
    webSocketUrl: options.webSocketUrl,
    onNotice: (data) => definition.onNotice(data),
    onConnected: (connected) => definition.onConnected(connected),
    log,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const method = (req.method ?? 'GET').toUpperCase();
    if (rawPath === '/health' && method === 'GET') {
      const healthy = !stopping && subscription.connected();
      send(res, { statusCode: healthy ? 200 : 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ healthy, open: definition.openRequests() }) });
      return;
    }
    const body = await readBody(req);
    if (!body) {
      send(res, { statusCode: 413, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Request Entity Too Large' }) });
      return;
    }
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // matched literally
    }
    const match = matchRoute(routes, method, path);
    const key = match ? routeKey(match.route) : '$default';
    const parts: RequestParts = {
      method,
      rawPath,
      routeKey: key,
      ...(match ? { pathParameters: match.pathParameters } : {}),
      rawQueryString: q < 0 ? '' : url.slice(q + 1),
      headers: headersOf(req),
      rawBody: body,
      requestId: (req.headers['x-amzn-trace-id'] as string | undefined) ?? randomUUID(),
      sourceIp: String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '').split(',')[0]!.trim(),
      remainingTimeMs: () => timeoutMs - (Date.now() - started),
    };
    options.onRequest?.(key);
    const serve = () => runOperation(match ? operations.get(key) : undefined, parts, definition.hooks);
    send(res, await (definition.around ? definition.around(serve) : serve()));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`service ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errcode: 'M_UNKNOWN', error: 'Internal server error' }) });
      else res.destroy();
    });
  });
  // Waiting requests hold their connections for up to the timeout; idle keep-alive ones go sooner
  // than the load balancer's (60 s), so it never sends on a connection being closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = (options.host ?? '127.0.0.1') === '0.0.0.0' ? '127.0.0.1' : (options.host ?? '127.0.0.1');

  return {
    url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`,
    port,
    subscription,
    openRequests: () => definition.openRequests(),
    async kill() {
      stopping = true;
      server.closeAllConnections();
      server.close();
      await subscription.close({ abrupt: true });
      // What waited is gone with its connections; let its promises settle.
      void definition.drain();
    },
    async stop() {
      stopping = true;
      // Waiting requests are answered now (clients poll again, elsewhere), then the server closes.
      await definition.drain();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await subscription.close();
    },
  };
}
