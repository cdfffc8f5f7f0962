// The local stand-in for the module's API Gateway HTTP API: requests become payload 2.0 events for
// the declared routes' functions (or the fallback, as a `$default` route), results become
// responses by API Gateway's rules, CORS preflights are answered by the gateway itself. Its own
// errors (limits, malformed requests, failed functions) carry the module's error body. Stopping
// drains: no new connections, in-flight requests are answered, then the rest are closed.

import { Agent, createServer, request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, routeKey, type ModuleDecl } from '../core/module.ts';
import { decodedPath, gatewayId, sourceIpOf } from './gateway/aws-format.ts';
import { isPreflight, preflightHeaders, responseCorsHeaders } from './gateway/cors.ts';
import { httpEvent } from './gateway/http-event.ts';
import { gatewayError, gatewayResponse, internalServerError, type GatewayErrorBody, type GatewayResponse } from './gateway/http-response.ts';
import { matchRoute } from '../http/route-matching.ts';
import { listen } from './listen.ts';

export type InvokeHttp = (functionName: string, event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2 | unknown>;

export interface HttpGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface HttpGatewayOptions {
  module: ModuleDecl;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  invoke: InvokeHttp;
  /** Largest request body accepted; API Gateway's limit is 10 MB. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
  /** How long the gateway waits for a function; HTTP APIs give up after 30 s with a 503. */
  integrationTimeoutMs?: number;
  /** `requestContext.apiId` / `accountId` in events. */
  apiId?: string;
  accountId?: string;
  /**
   * Base URLs of the services that serve their routes (a private integration on AWS): requests to
   * a route naming a service listed here are forwarded to it as they came, not to the function.
   */
  services?: Readonly<Record<string, string>>;
  /** How long stop() waits for in-flight requests before closing their connections. */
  drainTimeoutMs?: number;
}

export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
export { API_GATEWAY_INTEGRATION_TIMEOUT_MS };

/**
 * The answer to a request Node could not parse, written on the socket (no ServerResponse exists):
 * 431 for a request line and headers over the limit (API Gateway has one too, 10,240 bytes), 408
 * for one that never finished arriving, 400 for anything else malformed.
 */
function clientErrorResponse(code: string | undefined, errorBody: GatewayErrorBody | undefined): Buffer {
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const response = gatewayError(status, STATUS_CODES[status]!, errorBody);
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'content-type: application/json', `content-length: ${response.body.length}`, 'connection: close'];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), response.body]);
}

class IntegrationTimeout extends Error {}

/** `promise`, or IntegrationTimeout after `ms` (the function keeps running, as on AWS). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class BodyTooLarge extends Error {}

/** The request body, or BodyTooLarge once it passes `maxBytes` (the rest is read and dropped). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    // Draining before answering lets the client finish sending and read the 413 cleanly.
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** The request as it came, to a service (a private integration), and its answer. */
function forward(baseUrl: string, req: IncomingMessage, body: Buffer): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && name !== 'host' && name !== 'connection') headers[name] = value;
    headers['content-length'] = String(body.length);
    headers['x-forwarded-for'] = sourceIpOf(req.socket.remoteAddress);
    const out = httpRequest(new URL(req.url ?? '/', baseUrl), { method: req.method, headers, agent: forwardAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined || name === 'content-length' || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
          responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ statusCode: res.statusCode ?? 502, headers: responseHeaders, cookies: [], body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

const forwardAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

function send(res: ServerResponse, response: GatewayResponse, extraHeaders: Record<string, string>): void {
  const headers: Record<string, string | string[]> = { ...response.headers, ...extraHeaders };
  if (response.cookies.length) {
    const fromHeader = response.headers['set-cookie'];
    headers['set-cookie'] = fromHeader === undefined ? response.cookies : [fromHeader, ...response.cookies];
  }
  headers['content-length'] = String(response.body.length);
  res.writeHead(response.statusCode, headers);
  res.end(response.body);
}

export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const { module, invoke } = options;
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
  const apiId = options.apiId ?? 'local';
  const accountId = options.accountId ?? '000000000000';
  const log = options.log ?? (() => {});
  const cors = module.http.cors;
  const errorBody = module.http.gatewayErrorBody;
  const drainTimeoutMs = options.drainTimeoutMs ?? integrationTimeoutMs;
  let listenAddress = host;
  // Requests being answered, for stop() to wait on.
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = gatewayId();
    const epochMs = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodedPath((req.url ?? '/').split('?')[0]!);
    const base: Record<string, string> = { 'apigw-requestid': requestId };
    const finish = (response: GatewayResponse, extra: Record<string, string> = {}) => {
      send(res, response, { ...extra, ...base });
      log(`${method} ${path} ${response.statusCode} ${requestId}`);
    };

    if (cors && isPreflight(req)) {
      req.resume();
      finish({ statusCode: 204, headers: {}, cookies: [], body: Buffer.alloc(0) }, preflightHeaders(cors, req));
      return;
    }
    const corsHeaders = cors ? responseCorsHeaders(cors, req) : {};

    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        finish(gatewayError(413, 'Request Entity Too Large', errorBody), corsHeaders);
      } else {
        req.socket.destroy();
      }
      return;
    }

    const match = matchRoute(module.http.routes, method, path);
    const serviceUrl = match?.route.service !== undefined ? options.services?.[match.route.service] : undefined;
    if (serviceUrl !== undefined) {
      let response: GatewayResponse;
      try {
        response = await withTimeout(forward(serviceUrl, req, body), integrationTimeoutMs);
      } catch (err) {
        log(`service ${match!.route.service} did not answer ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
        finish(err instanceof IntegrationTimeout ? gatewayError(503, 'Service Unavailable', errorBody) : internalServerError(errorBody), corsHeaders);
        return;
      }
      finish(response, corsHeaders);
      return;
    }
    const functionName = match ? match.route.function : module.http.fallback;
    const event = httpEvent(req, body, {
      path,
      routeKey: match ? routeKey(match.route) : '$default',
      pathParameters: match?.pathParameters,
      requestId,
      epochMs,
      apiId,
      accountId,
      listenAddress,
    });
    let response: GatewayResponse;
    try {
      response = gatewayResponse(await withTimeout(Promise.resolve(invoke(functionName, event)), integrationTimeoutMs), errorBody);
    } catch (err) {
      if (err instanceof IntegrationTimeout) {
        log(`function ${functionName} did not answer ${method} ${path} within ${integrationTimeoutMs} ms`);
        finish(gatewayError(503, 'Service Unavailable', errorBody), corsHeaders);
        return;
      }
      log(`function ${functionName} failed on ${method} ${path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      response = internalServerError(errorBody);
    }
    finish(response, corsHeaders);
  }

  const server = createServer((req, res) => {
    inFlight += 1;
    handle(req, res)
      .catch((err: unknown) => {
        log(`http gateway error: ${String(err)}`);
        if (!res.headersSent) send(res, internalServerError(errorBody), {});
        else res.destroy();
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code, errorBody));
  });
  const { port, address, urlHost } = await listen(server, options.port, host);
  listenAddress = address;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop: async () => {
      // No new connections; idle keep-alive ones close now, busy ones once answered.
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
