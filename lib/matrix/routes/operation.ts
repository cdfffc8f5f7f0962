// What the HTTP layer's declarations mean for Matrix (lib/http/operation.ts's HttpHooks): a token is
// an access token, looked up as authenticate() does; `admin` is a server admin; the rate-limit class
// `writes` is the user's write budget; a body is checked by parseRequestBody; path parameters are
// checked as identifiers; every refusal is a Matrix error body. Handlers in functions/http declare
// their operations with `operation` and serve them with `matrixFunction`.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AckTimeoutError } from '../../core/ack.ts';
import { httpFunction, logger } from '../../http/http-function.ts';
import { operationsFor, type DeclaredOperation, type HttpHooks, type HttpResponse, type Operation } from '../../http/operation.ts';
import { authenticate, type Requester } from '../accounts/authenticate.ts';
import { assertServerAdmin } from '../admin/requests.ts';
import { MatrixError, notJson, tooLarge, unrecognized } from '../errors.ts';
import { axon } from '../module.ts';
import { checkPathParameters } from '../path-parameters.ts';
import { limitWrites } from '../rate-limits.ts';
import { parseJsonText, parseRequestBody } from '../request-schemas.ts';

/** Declares a Matrix operation: its handler gets the authenticated Requester its `auth` promises. */
export const operation = operationsFor<Requester>();

/** How a client should wait before retrying a request whose write was not applied in time. */
const ACK_TIMEOUT_RETRY_AFTER_MS = 2_000;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON must be UTF-8 (RFC 8259): invalid bytes are M_NOT_JSON, not silently replaced with U+FFFD. */
function decodeUtf8(raw: Buffer): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw notJson('Content is not valid UTF-8');
  }
}

/** The response of a Matrix error; a rate-limited client that ignores the body still understands Retry-After. */
export function matrixErrorResponse(error: MatrixError): HttpResponse {
  const body = error.toJSON() as { retry_after_ms?: unknown };
  const headers = typeof body.retry_after_ms === 'number' ? { 'retry-after': String(Math.ceil(body.retry_after_ms / 1000)) } : undefined;
  return { status: error.status, body, headers };
}

export const matrixHooks: HttpHooks<Requester> = {
  parseJson: (raw) => parseJsonText(decodeUtf8(raw)),
  checkPathParameters,
  async authenticate(request, mode, options) {
    if (mode === 'optional' && !request.accessToken) return undefined;
    const requester = await authenticate(request, options);
    if (mode === 'admin') await assertServerAdmin(requester.userId);
    return requester;
  },
  async rateLimit(requester, limitClass) {
    if (limitClass !== 'writes' || !requester) throw new Error(`unknown rate-limit class ${limitClass}`);
    await limitWrites(requester.userId);
  },
  validateBody: (schema, body) => parseRequestBody(schema, body),
  noRoute: () => matrixErrorResponse(unrecognized(404)),
  tooLarge: (maxBytes) => matrixErrorResponse(tooLarge(`Request body is over ${maxBytes} bytes`)),
  outOfTime: () => matrixErrorResponse(new MatrixError(503, 'M_UNKNOWN', 'The request took too long; try again')),
  errorResponse(e, routeKey) {
    if (e instanceof MatrixError) return matrixErrorResponse(e);
    if (e instanceof AckTimeoutError) {
      // The command is in its depot and will be applied (or refused) once the topology gets to it:
      // not a failure to report as one. 503 says "try again"; a retry of an idempotent request
      // (same txn id, same device) finds the outcome recorded instead of writing twice.
      logger.warn('no outcome within the wait', { routeKey, depot: e.depot, requestId: e.requestId });
      return matrixErrorResponse(new MatrixError(503, 'M_UNKNOWN', 'The request was accepted but is not applied yet; try again', { retry_after_ms: ACK_TIMEOUT_RETRY_AFTER_MS }));
    }
    logger.error('operation failed', { routeKey, error: e as Error });
    return matrixErrorResponse(new MatrixError(500, 'M_UNKNOWN', 'Internal server error'));
  },
};

/** The Lambda handler of one of Axon's HTTP functions (a function named in lib/matrix/module.ts). */
export function matrixFunction(
  functionName: string,
  operations: Record<string, Operation | DeclaredOperation>,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2> {
  return httpFunction(axon, functionName, operations, matrixHooks);
}
