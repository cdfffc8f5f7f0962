// Turns a set of named operations into one Lambda handler for API Gateway HTTP API events
// (payload 2.0). The route → operation mapping lives only in the module declaration; this
// wrapper looks the operation up by the event's route key, parses the request, and maps errors
// to Matrix error responses, so a handler never answers with a stack trace.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AckTimeoutError } from '../core/ack.ts';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, routeKey, type HttpRouteDecl, type ModuleDecl } from '../core/module.ts';
import { MatrixError, notJson, tooLarge, unrecognized } from '../matrix/errors.ts';
import { checkPathParameters } from '../matrix/path-parameters.ts';
import { parseJsonText } from '../matrix/request-schemas.ts';
import type { DeclaredOperation, HttpRequest, HttpResponse, Operation } from './operation.ts';

export const logger = new Logger({ serviceName: 'axon', logLevel: (process.env.AXON_LOG_LEVEL as 'INFO') ?? 'WARN' });

/** The headers the spec asks every Client-Server response to carry, so browsers can call it. */
export const corsHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

/** The operation key of the fallback function (API Gateway's `$default` route). */
export const defaultRoute = '$default';

function toResponse(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...corsHeaders, ...response.headers };
  if (response.rawBody) {
    return { statusCode: response.status, headers, body: response.rawBody.toString('base64'), isBase64Encoded: true };
  }
  headers['content-type'] ??= 'application/json';
  return {
    statusCode: response.status,
    headers,
    body: response.body === undefined ? '{}' : JSON.stringify(response.body),
  };
}

export function errorResponse(error: MatrixError): APIGatewayProxyStructuredResultV2 {
  const body = error.toJSON() as { retry_after_ms?: unknown };
  // A rate-limited client that ignores the Matrix body still understands HTTP's Retry-After.
  const headers = typeof body.retry_after_ms === 'number' ? { 'retry-after': String(Math.ceil(body.retry_after_ms / 1000)) } : undefined;
  return toResponse({ status: error.status, body, headers });
}

function decodeParameters(params: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

function bearerToken(headers: Record<string, string>, query: URLSearchParams): string | undefined {
  const authorization = headers['authorization'];
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1];
  }
  return query.get('access_token') ?? undefined;
}

/** JSON bodies are small (events are at most 64 KiB); Synapse's upload limit is for media only. */
export const DEFAULT_MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The body limit of an operation: its own, else AXON_MAX_BODY_BYTES for JSON operations. */
export function maxBodyBytesOf(options: DeclaredOperation['options']): number {
  if (options.maxBodyBytes !== undefined) return options.maxBodyBytes;
  if (options.rawBody) return Infinity;
  const configured = Number(process.env.AXON_MAX_BODY_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_JSON_BODY_BYTES;
}

/** The decoded size of the event's body, without decoding it. */
function bodyBytes(event: APIGatewayProxyEventV2): number {
  if (!event.body) return 0;
  if (!event.isBase64Encoded) return Buffer.byteLength(event.body, 'utf8');
  const padding = event.body.endsWith('==') ? 2 : event.body.endsWith('=') ? 1 : 0;
  return Math.floor((event.body.length * 3) / 4) - padding;
}

/** A request as it arrived, whatever carried it (an HTTP API event, or a service's own HTTP server). */
export interface RequestParts {
  method: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  routeKey: string;
  /** Path parameters as matched (still percent-encoded). */
  pathParameters?: Record<string, string | undefined>;
  rawQueryString: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  rawBody: Buffer;
  requestId: string;
  sourceIp: string;
  remainingTimeMs(): number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON must be UTF-8 (RFC 8259): invalid bytes are M_NOT_JSON, not silently replaced with U+FFFD. */
function decodeUtf8(raw: Buffer): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw notJson('Content is not valid UTF-8');
  }
}

function parseRequest(parts: RequestParts, options: DeclaredOperation['options']): HttpRequest {
  const { headers, rawBody } = parts;
  const query = new URLSearchParams(parts.rawQueryString);
  const body = !options.rawBody && rawBody.length > 0 ? parseJsonText(decodeUtf8(rawBody)) : undefined;
  let path = parts.rawPath;
  try {
    path = decodeURIComponent(parts.rawPath);
  } catch {
    // keep the raw path: a malformed escape is matched literally
  }
  return {
    method: parts.method,
    path,
    rawPath: parts.rawPath,
    routeKey: parts.routeKey,
    pathParameters: decodeParameters(parts.pathParameters),
    query,
    headers,
    body,
    rawBody,
    accessToken: bearerToken(headers, query),
    requestId: parts.requestId,
    sourceIp: parts.sourceIp,
    remainingTimeMs: parts.remainingTimeMs,
  };
}

/**
 * Milliseconds left to answer: before the function times out, and before API Gateway stops waiting
 * (30 s after it received the request; some functions may run longer, for their streams' sake).
 */
function timeLeft(event: APIGatewayProxyEventV2, context: Context): () => number {
  const received = event.requestContext?.timeEpoch;
  const gatewayDeadline = Number.isFinite(received) ? received + API_GATEWAY_INTEGRATION_TIMEOUT_MS : Infinity;
  return () => Math.min(context.getRemainingTimeInMillis(), gatewayDeadline - Date.now());
}

/** Kept for the answer itself, so an operation that runs out of time is answered by us, not by API Gateway. */
export const ANSWER_RESERVE_MS = 1_000;

class OutOfTime extends Error {}

/** `promise`, or OutOfTime once `timeLeft()` falls to the reserve (the operation goes on, unanswered). */
async function beforeDeadline<T>(promise: Promise<T>, timeLeft: () => number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OutOfTime()), Math.max(0, timeLeft() - ANSWER_RESERVE_MS));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function eventParts(event: APIGatewayProxyEventV2, context: Context): RequestParts {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  return {
    method: event.requestContext.http.method,
    rawPath: event.rawPath,
    routeKey: event.routeKey,
    pathParameters: event.pathParameters,
    rawQueryString: event.rawQueryString ?? '',
    headers,
    rawBody: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
    requestId: event.requestContext.requestId,
    sourceIp: event.requestContext.http.sourceIp,
    remainingTimeMs: timeLeft(event, context),
  };
}

/** How long a client should wait before retrying a request whose write was not applied in time. */
const ACK_TIMEOUT_RETRY_AFTER_MS = 2_000;

/**
 * Run one operation on a request (undefined: no operation serves it), mapping Matrix errors to
 * their responses and anything else to a 500 that says nothing of the cause.
 */
export async function runOperation(op: DeclaredOperation | undefined, parts: RequestParts): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    if (!op) throw unrecognized(404);
    const maxBodyBytes = maxBodyBytesOf(op.options);
    if (parts.rawBody.length > maxBodyBytes) throw tooLarge(`Request body is over ${maxBodyBytes} bytes`);
    const request = parseRequest(parts, op.options);
    checkPathParameters(request.pathParameters);
    return toResponse(await op.run(request));
  } catch (e) {
    if (e instanceof MatrixError) return errorResponse(e);
    if (e instanceof AckTimeoutError) {
      // The command is in its depot and will be applied (or refused) once the topology gets to it:
      // not a failure to report as one. 503 says "try again"; a retry of an idempotent request
      // (same txn id, same device) finds the outcome recorded instead of writing twice.
      logger.warn('no outcome within the wait', { routeKey: parts.routeKey, depot: e.depot, requestId: e.requestId });
      return errorResponse(new MatrixError(503, 'M_UNKNOWN', 'The request was accepted but is not applied yet; try again', { retry_after_ms: ACK_TIMEOUT_RETRY_AFTER_MS }));
    }
    logger.error('operation failed', { routeKey: parts.routeKey, error: e as Error });
    return errorResponse(new MatrixError(500, 'M_UNKNOWN', 'Internal server error'));
  }
}

function declared(op: Operation | DeclaredOperation): DeclaredOperation {
  return typeof op === 'function' ? { run: op, options: {} } : op;
}

/** The operations of some routes by route key; a route whose operation is missing is a bug in the declaration. */
export function operationsByRouteKey(
  routes: readonly HttpRouteDecl[],
  operations: Record<string, Operation | DeclaredOperation>,
  who: string,
): Map<string, DeclaredOperation> {
  const byRouteKey = new Map<string, DeclaredOperation>();
  for (const route of routes) {
    const op = operations[route.operation];
    if (!op) throw new Error(`${who} does not implement operation ${route.operation}`);
    byRouteKey.set(routeKey(route), declared(op));
  }
  return byRouteKey;
}

/**
 * A Lambda handler serving `operations` for the routes that name `functionName` in `module`.
 * The fallback function implements the operation `$default`.
 */
export function httpFunction(
  module: ModuleDecl,
  functionName: string,
  operations: Record<string, Operation | DeclaredOperation>,
) {
  const byRouteKey = operationsByRouteKey(module.http.routes.filter((r) => r.function === functionName), operations, `function ${functionName}`);
  const fallback = operations[defaultRoute];
  if (fallback) byRouteKey.set(defaultRoute, declared(fallback));

  const handle = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const op = byRouteKey.get(event.routeKey);
    // The body's size is checked before it is decoded.
    if (op && bodyBytes(event) > maxBodyBytesOf(op.options)) return errorResponse(tooLarge(`Request body is over ${maxBodyBytesOf(op.options)} bytes`));
    const parts = eventParts(event, context);
    try {
      return await beforeDeadline(runOperation(op, parts), parts.remainingTimeMs);
    } catch (e) {
      if (!(e instanceof OutOfTime)) throw e;
      logger.error('operation ran out of time', { routeKey: event.routeKey });
      return errorResponse(new MatrixError(503, 'M_UNKNOWN', 'The request took too long; try again'));
    }
  };
  return middy(handle);
}
