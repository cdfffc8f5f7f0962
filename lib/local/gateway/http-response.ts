// Turns what a function returned into the HTTP response an HTTP API (payload format 2.0) sends.

export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

export function jsonResponse(statusCode: number, value: unknown): GatewayResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(JSON.stringify(value)) };
}

/** The body of an answer of the gateway's own: the module's, else API Gateway's `{"message": reason}`. */
export type GatewayErrorBody = (status: number, reason: string) => unknown;

export const apiGatewayErrorBody: GatewayErrorBody = (_status, reason) => ({ message: reason });

export const gatewayError = (status: number, reason: string, body: GatewayErrorBody = apiGatewayErrorBody): GatewayResponse =>
  jsonResponse(status, body(status, reason));

/** API Gateway's answer when the integration failed or returned something it cannot use. */
export const internalServerError = (body?: GatewayErrorBody): GatewayResponse => gatewayError(500, 'Internal Server Error', body);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Payload 2.0 response rules: an object with `statusCode` is a structured response; anything else
 * is a 200 `application/json` whose body is the function's output (a string as it is, any other
 * value as its JSON). A malformed structured response is a 500, as on AWS.
 */
export function gatewayResponse(result: unknown, errorBody?: GatewayErrorBody): GatewayResponse {
  const malformed = () => internalServerError(errorBody);
  if (!isObject(result) || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return malformed();
  }
  const outHeaders: Record<string, string> = {};
  if (headers !== undefined) {
    if (!isObject(headers)) return malformed();
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return malformed();
      outHeaders[name.toLowerCase()] = String(value);
    }
  }
  const outCookies: string[] = [];
  if (cookies !== undefined) {
    if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) return malformed();
    outCookies.push(...(cookies as string[]));
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return malformed();
  const text = typeof body === 'string' ? body : '';
  return {
    statusCode,
    headers: outHeaders,
    cookies: outCookies,
    body: isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}
