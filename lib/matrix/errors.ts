// Matrix standard error responses (Client-Server API, "Standard error response").
// Domain code throws MatrixError; the HTTP layer turns it into `{ errcode, error, ...extra }`.
import type { AckError } from '../core/ack.ts';

export type MatrixErrcode =
  | 'M_FORBIDDEN'
  | 'M_UNKNOWN_TOKEN'
  | 'M_MISSING_TOKEN'
  | 'M_USER_LOCKED'
  | 'M_USER_SUSPENDED'
  | 'M_BAD_JSON'
  | 'M_NOT_JSON'
  | 'M_NOT_FOUND'
  | 'M_LIMIT_EXCEEDED'
  | 'M_UNRECOGNIZED'
  | 'M_UNKNOWN'
  | 'M_UNAUTHORIZED'
  | 'M_USER_DEACTIVATED'
  | 'M_USER_IN_USE'
  | 'M_INVALID_USERNAME'
  | 'M_ROOM_IN_USE'
  | 'M_INVALID_ROOM_STATE'
  | 'M_UNSUPPORTED_ROOM_VERSION'
  | 'M_INCOMPATIBLE_ROOM_VERSION'
  | 'M_BAD_STATE'
  | 'M_GUEST_ACCESS_FORBIDDEN'
  | 'M_MISSING_PARAM'
  | 'M_INVALID_PARAM'
  | 'M_TOO_LARGE'
  | 'M_EXCLUSIVE'
  | 'M_RESOURCE_LIMIT_EXCEEDED'
  | 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM'
  | 'M_THREEPID_NOT_FOUND'
  | 'M_THREEPID_IN_USE'
  | 'M_THREEPID_AUTH_FAILED'
  | 'M_THREEPID_DENIED'
  | 'M_THREEPID_MEDIUM_NOT_SUPPORTED'
  | 'M_WEAK_PASSWORD'
  | 'M_SERVER_NOT_TRUSTED'
  | 'M_UNABLE_TO_AUTHORISE_JOIN'
  | 'M_UNABLE_TO_GRANT_JOIN'
  | 'M_NOT_YET_UPLOADED'
  | 'M_CANNOT_OVERWRITE_MEDIA'
  | 'M_USER_AWAITING_APPROVAL'
  | 'M_WRONG_ROOM_KEYS_VERSION'
  | 'M_BAD_ALIAS'
  /** Sliding sync (MSC4186): the `pos` is not known (any more); the client starts a new connection. */
  | 'M_UNKNOWN_POS';

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: MatrixErrcode,
    message: string,
    /** Extra fields of the error body, e.g. `retry_after_ms`, `soft_logout`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
  }

  /**
   * A refusal of the request itself (4xx but 429): the same request is refused again, so a
   * topology meeting one records it rather than retrying (lib/core/topology/failures.ts).
   */
  get deterministic(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429;
  }

  /** The refusal recorded for the appender when a topology meets this error (failures.ts). */
  toAckError(): AckError {
    return { code: this.errcode, message: this.message, status: this.status, ...(Object.keys(this.extra).length > 0 ? { data: this.extra } : {}) };
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const forbidden = (message = 'Forbidden') => new MatrixError(403, 'M_FORBIDDEN', message);
export const notFound = (message = 'Not found') => new MatrixError(404, 'M_NOT_FOUND', message);
export const badJson = (message: string) => new MatrixError(400, 'M_BAD_JSON', message);
export const notJson = (message = 'Content not JSON.') => new MatrixError(400, 'M_NOT_JSON', message);
export const missingParam = (message: string) => new MatrixError(400, 'M_MISSING_PARAM', message);
export const invalidParam = (message: string) => new MatrixError(400, 'M_INVALID_PARAM', message);
export const unrecognized = (status: 404 | 405 = 404, message = 'Unrecognized request') =>
  new MatrixError(status, 'M_UNRECOGNIZED', message);
export const tooLarge = (message = 'Request too large') => new MatrixError(413, 'M_TOO_LARGE', message);

/**
 * The body of an error a gateway gives itself (a body or headers over its limits, a malformed
 * request, a function that failed or ran out of time): a Matrix error, so clients that read
 * `errcode` understand it — M_TOO_LARGE for sizes, M_UNKNOWN for the rest (a 5xx always).
 */
export const gatewayErrorBody = (status: number, reason: string) =>
  new MatrixError(status, status === 413 || status === 431 ? 'M_TOO_LARGE' : 'M_UNKNOWN', reason).toJSON();
export const missingToken = () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
export const unknownToken = (softLogout = false) =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or expired access token', { soft_logout: softLogout });
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
export const invalidUsername = (message = 'Invalid username') => new MatrixError(400, 'M_INVALID_USERNAME', message);
export const userInUse = (message = 'User ID already taken.') => new MatrixError(400, 'M_USER_IN_USE', message);
export const roomInUse = (message = 'Room alias already taken') => new MatrixError(400, 'M_ROOM_IN_USE', message);
export const unsupportedRoomVersion = (version: string) =>
  new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${version} is not supported`);
