// An HTTP API's CORS configuration applied the way API Gateway applies it: the gateway itself
// answers preflight requests, and adds the allow-origin headers to the integration's responses.

import type { IncomingMessage } from 'node:http';
import type { CorsDecl } from '../../core/module.ts';

function allowedOrigin(cors: CorsDecl, origin: string): string | undefined {
  if (cors.allowOrigins.includes('*')) return '*';
  return cors.allowOrigins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && typeof req.headers.origin === 'string' && typeof req.headers['access-control-request-method'] === 'string';
}

/** Headers of the gateway's 204 answer to a preflight; none when the origin is not allowed. */
export function preflightHeaders(cors: CorsDecl, req: IncomingMessage): Record<string, string> {
  const origin = allowedOrigin(cors, req.headers.origin ?? '');
  if (!origin) return {};
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': cors.allowMethods.join(','),
  };
  if (cors.allowHeaders.length) headers['access-control-allow-headers'] = cors.allowHeaders.join(',');
  if (cors.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(cors.maxAgeSeconds);
  if (origin !== '*') headers.vary = 'Origin';
  return headers;
}

/** Headers added to an actual (non-preflight) response of a cross-origin request. */
export function responseCorsHeaders(cors: CorsDecl, req: IncomingMessage): Record<string, string> {
  const requestOrigin = req.headers.origin;
  if (!requestOrigin) return {};
  const origin = allowedOrigin(cors, requestOrigin);
  if (!origin) return {};
  return origin === '*' ? { 'access-control-allow-origin': '*' } : { 'access-control-allow-origin': origin, vary: 'Origin' };
}
