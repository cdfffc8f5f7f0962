// What an HTTP operation sees and returns: a small, API-Gateway-free view of a request, so that
// operations read like the spec's endpoint descriptions and are easy to test.

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

/** An operation with options; plain functions are operations with default options. */
export interface DeclaredOperation {
  run: Operation;
  options: OperationOptions;
}

export function rawBodyOperation(run: Operation, options: Omit<OperationOptions, 'rawBody'> = {}): DeclaredOperation {
  return { run, options: { ...options, rawBody: true } };
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): HttpResponse => ({
  status,
  body,
  headers,
});
