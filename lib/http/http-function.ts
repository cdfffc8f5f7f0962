// Turns a set of named operations into one Lambda handler for API Gateway HTTP API events
// (payload 2.0). The route → operation mapping lives only in the module declaration; this
// wrapper looks the operation up by the event's route key, parses the request, does what a
// declared operation declares (operation.ts) and maps errors through the host's hooks, so a
// handler never answers with a stack trace.
//
// No middleware framework: the steps run in one fixed order for every route, for Lambda and for a
// service's own HTTP server alike (service-host.ts), and they act on the request, not on a Lambda
// event; middy (whose middlewares wrap a whole Lambda handler's event and context) was a wrapper
// that ran no middleware here, so it is gone from this layer.
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, routeKey, type HttpRouteDecl, type ModuleDecl } from '../core/module.ts';
import type { DeclaredOperation, HttpHooks, HttpRequest, HttpResponse, Operation } from './operation.ts';

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

function parseRequest(parts: RequestParts, options: DeclaredOperation['options'], hooks: HttpHooks): HttpRequest {
  const { headers, rawBody } = parts;
  const query = new URLSearchParams(parts.rawQueryString);
  const body = !options.rawBody && rawBody.length > 0 ? hooks.parseJson(rawBody) : undefined;
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

/** A declared operation: the requester, the rate limit, the body's schema, then the handler. */
async function runDeclared(op: Extract<DeclaredOperation, { declaration: object }>, request: HttpRequest, hooks: HttpHooks): Promise<HttpResponse> {
  const declaration = op.declaration;
  const requester = declaration.auth === 'none' ? undefined : await hooks.authenticate(request, declaration.auth, declaration.allowLocked ? { allowLocked: true } : {});
  if (declaration.rateLimit !== undefined) {
    if (!hooks.rateLimit) throw new Error(`no rateLimit hook for the class ${declaration.rateLimit}`);
    await hooks.rateLimit(requester, declaration.rateLimit, request);
  }
  const body = declaration.body ? hooks.validateBody(declaration.body, declaration.optionalBody && request.body === undefined ? {} : request.body) : request.body;
  return op.handle({ requester, params: request.pathParameters, body, request });
}

/**
 * Run one operation on a request (undefined: no operation serves it), mapping whatever it throws
 * through the hooks (a known refusal, or a 500 that says nothing of the cause).
 */
export async function runOperation(op: DeclaredOperation | undefined, parts: RequestParts, hooks: HttpHooks): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    if (!op) return toResponse(hooks.noRoute());
    const maxBodyBytes = maxBodyBytesOf(op.options);
    if (parts.rawBody.length > maxBodyBytes) return toResponse(hooks.tooLarge(maxBodyBytes));
    const request = parseRequest(parts, op.options, hooks);
    hooks.checkPathParameters?.(request.pathParameters);
    return toResponse(await (op.declaration ? runDeclared(op, request, hooks) : op.run(request)));
  } catch (e) {
    return toResponse(hooks.errorResponse(e, parts.routeKey));
  }
}

/** The names of a route path's parameters (`{name}` and greedy `{name+}`). */
function pathParameterNames(path: string): Set<string> {
  return new Set([...path.matchAll(/\{([^{}+]+)\+?\}/g)].map((m) => m[1]!));
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
    const params = typeof op === 'function' ? undefined : op.declaration?.params;
    if (params) {
      const inPath = pathParameterNames(route.path);
      const missing = params.filter((p) => !inPath.has(p));
      if (missing.length > 0) throw new Error(`${who}: operation ${route.operation} reads ${missing.join(', ')}, not in ${route.method} ${route.path}`);
    }
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
  hooks: HttpHooks,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2> {
  const byRouteKey = operationsByRouteKey(module.http.routes.filter((r) => r.function === functionName), operations, `function ${functionName}`);
  const fallback = operations[defaultRoute];
  if (fallback) byRouteKey.set(defaultRoute, declared(fallback));

  const handle = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const op = byRouteKey.get(event.routeKey);
    // The body's size is checked before it is decoded.
    if (op && bodyBytes(event) > maxBodyBytesOf(op.options)) return toResponse(hooks.tooLarge(maxBodyBytesOf(op.options)));
    const parts = eventParts(event, context);
    try {
      return await beforeDeadline(runOperation(op, parts, hooks), parts.remainingTimeMs);
    } catch (e) {
      if (!(e instanceof OutOfTime)) throw e;
      logger.error('operation ran out of time', { routeKey: event.routeKey });
      return toResponse(hooks.outOfTime());
    }
  };
  return handle;
}
