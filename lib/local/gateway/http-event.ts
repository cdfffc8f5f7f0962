// Turns a Node HTTP request into the event an HTTP API (payload format 2.0) hands to Lambda.

import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { domainNameOf, queryParameters, requestTime, sourceIpOf } from './aws-format.ts';

export interface HttpEventContext {
  /** The percent-decoded path (see decodedPath). */
  path: string;
  routeKey: string;
  pathParameters?: Record<string, string>;
  requestId: string;
  epochMs: number;
  apiId: string;
  accountId: string;
  /** `host:port` of the gateway, used when the client sent no Host header. */
  listenAddress: string;
}

/**
 * Content types whose bodies HTTP APIs pass as text; any other body arrives base64-encoded with
 * `isBase64Encoded: true` — also without a content type and for form posts, as checked against
 * real HTTP APIs (the docs do not list the types).
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml'
  );
}

/**
 * Headers as API Gateway passes them: lower-case names, repeated headers joined with commas
 * (Node would drop some duplicates and join others with ", "), cookies moved to `cookies`.
 */
function headersAndCookies(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim() !== '') cookies.push(c.trim());
      continue;
    }
    const seen = headers.get(name);
    headers.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return { headers: Object.fromEntries(headers), cookies };
}

export function httpEvent(req: IncomingMessage, body: Buffer, ctx: HttpEventContext): APIGatewayProxyEventV2 {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = ctx.path;
  const rawQueryString = q < 0 ? '' : url.slice(q + 1);
  const { headers, cookies } = headersAndCookies(req);
  const sourceIp = sourceIpOf(req.socket.remoteAddress);
  // API Gateway adds the forwarding headers its clients' requests went through.
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] ??= 'http';
  const domainName = domainNameOf(req.headers.host, ctx.listenAddress);
  const query = queryParameters(rawQueryString);
  const text = isTextContentType(req.headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: ctx.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: '$default',
      time: requestTime(ctx.epochMs),
      timeEpoch: ctx.epochMs,
    },
    ...(ctx.pathParameters && Object.keys(ctx.pathParameters).length ? { pathParameters: ctx.pathParameters } : {}),
    ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
  return event;
}
