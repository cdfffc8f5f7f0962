// What an HTTP operation sees and returns: a small, API-Gateway-free view of a request, so that
// operations read like the spec's endpoint descriptions and are easy to test.
//
// An operation is declared (`operation(declaration, handle)`): who may call it, the path parameters
// it reads, the schema of its body, its body options. The HTTP layer does what the declaration says
// before the handler runs, in one order for every route: the body's size, its JSON, the path
// parameters, the authentication, the rate-limit class, the body's schema. The handler gets
// `{ requester, params, body, request }`, typed by the declaration. What authenticating, checking
// and refusing mean is not this layer's business: the host injects them (HttpHooks), so this
// folder knows HTTP and nothing of the protocol served over it.
import type { z } from 'zod';

export interface HttpRequest {
  method: string;
  /** The decoded request path, e.g. `/_matrix/client/v3/rooms/!a:b/state`. */
  path: string;
  /** The path as sent, still percent-encoded (what route matching sees). */
  rawPath: string;
  /** API Gateway's route key, e.g. `GET /_matrix/client/v3/rooms/{roomId}/state`, or `$default`. */
  routeKey: string;
  /** Path parameters, URL-decoded. */
  pathParameters: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  /** The JSON body, parsed (`undefined` when the request had none or the operation takes raw bodies). */
  body: unknown;
  rawBody: Buffer;
  /** From `Authorization: Bearer` or the deprecated `access_token` query parameter. */
  accessToken?: string;
  requestId: string;
  sourceIp: string;
  /** Milliseconds left before the function times out. */
  remainingTimeMs(): number;
}

export interface HttpResponse {
  status: number;
  /** Serialised as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: Buffer;
  headers?: Record<string, string>;
}

export type Operation = (request: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export interface OperationOptions {
  /** Hand the body over unparsed (media uploads). */
  rawBody?: boolean;
  /**
   * The largest body accepted, in bytes; a larger one is answered 413 M_TOO_LARGE before any
   * parsing. Default: AXON_MAX_BODY_BYTES (1 MiB) for JSON operations; for raw-body operations
   * only API Gateway's own 10 MB limit applies unless they declare one.
   */
  maxBodyBytes?: number;
}

/**
 * Who may call an operation. `none`: anyone, no token looked at; `optional`: anyone, the requester
 * known when a token is given; `user`: a valid token; `admin`: a valid token of a server admin.
 * The host's `authenticate` hook says what a token is and what refusing one answers.
 */
export type AuthMode = 'none' | 'optional' | 'user' | 'admin';

/** What an operation declares; the HTTP layer acts on it before the handler runs. */
export interface OperationDeclaration<A extends AuthMode = AuthMode, P extends string = string, B = unknown> extends OperationOptions {
  auth: A;
  /** Path parameters the handler reads: each must be in every route path naming the operation (checked at start). */
  params?: readonly P[];
  /** The body's schema, checked after authentication (the host's `validateBody` hook maps failures). */
  body?: z.ZodType<B>;
  /** With `body`: a request without one is validated as `{}`. */
  optionalBody?: boolean;
  /** Authenticate even a locked account (logging out is always allowed). */
  allowLocked?: boolean;
  /** A rate-limit class, applied after authentication by the host's `rateLimit` hook. */
  rateLimit?: string;
}

/** The requester an operation sees: none, maybe, or certainly one, as it declared. */
export type RequesterOf<A extends AuthMode, R> = A extends 'none' ? undefined : A extends 'optional' ? R | undefined : R;

/** What a declared operation's handler receives. */
export interface OperationInput<A extends AuthMode, P extends string, B, R> {
  requester: RequesterOf<A, R>;
  params: Readonly<Record<P, string>>;
  body: B;
  request: HttpRequest;
}

/** An operation with options (plain functions are operations with default options), or a declared one. */
export type DeclaredOperation =
  | { run: Operation; options: OperationOptions; declaration?: undefined }
  | {
      options: OperationOptions;
      /** The HTTP layer acts on it, then runs `handle`. */
      declaration: OperationDeclaration;
      handle: (input: OperationInput<AuthMode, string, unknown, unknown>) => Promise<HttpResponse> | HttpResponse;
    };

/**
 * The host's meaning of the declarations, injected into the HTTP layer (httpFunction,
 * startServiceHost): how a request is authenticated, a body checked, a path parameter checked, and
 * what any failure answers.
 */
export interface HttpHooks<R = unknown> {
  /** Parses a JSON body (throws what the host answers for text that is not JSON). */
  parseJson(raw: Buffer): unknown;
  /** Checks the decoded path parameters of every request that matched a route. */
  checkPathParameters?(params: Readonly<Record<string, string>>): void;
  /** The requester of a request (throws the refusal); `optional` answers undefined without a token. */
  authenticate(request: HttpRequest, mode: Exclude<AuthMode, 'none'>, options: { allowLocked?: boolean }): Promise<R | undefined>;
  /** Counts a request of `limitClass` against the requester's budget (throws the refusal). */
  rateLimit?(requester: R | undefined, limitClass: string, request: HttpRequest): Promise<void>;
  /** A body checked against its declared schema (throws the refusal). */
  validateBody<T>(schema: z.ZodType<T>, body: unknown): T;
  /** No operation serves the request (404). */
  noRoute(): HttpResponse;
  /** The body is over `maxBytes`. */
  tooLarge(maxBytes: number): HttpResponse;
  /** The operation did not finish before the deadline (it goes on, unanswered). */
  outOfTime(): HttpResponse;
  /** What anything an operation or a hook threw answers (known refusals, else a 500 saying nothing). */
  errorResponse(error: unknown, routeKey: string): HttpResponse;
}

/** Binds the requester type of some hooks; `operation` of the result declares operations. */
export function operationsFor<R>() {
  return function operation<A extends AuthMode, P extends string = never, B = unknown>(
    declaration: OperationDeclaration<A, P, B>,
    handle: (input: OperationInput<A, P, B, R>) => Promise<HttpResponse> | HttpResponse,
  ): DeclaredOperation {
    const { rawBody, maxBodyBytes } = declaration;
    return {
      options: { ...(rawBody !== undefined ? { rawBody } : {}), ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}) },
      declaration: declaration as OperationDeclaration,
      handle: handle as Extract<DeclaredOperation, { declaration: OperationDeclaration }>['handle'],
    };
  };
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): HttpResponse => ({
  status,
  body,
  headers,
});
