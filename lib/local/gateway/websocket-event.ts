// The events a WebSocket API hands to Lambda for `$connect`, messages and `$disconnect`, in AWS's
// shapes: CONNECT carries the handshake's headers and query string, MESSAGE carries the frame,
// DISCONNECT carries the close status and reason.

import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { gatewayId, requestTime } from './aws-format.ts';

export interface ConnectionFacts {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string | undefined;
  domainName: string;
  apiId: string;
  stage: string;
}

/** The event handed to WebSocket route functions; CONNECT also carries the handshake's request. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
};

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

function requestContext(c: ConnectionFacts, routeKey: string, eventType: EventType, now: number, extra: Record<string, unknown>) {
  const requestId = gatewayId();
  return {
    routeKey,
    ...extra,
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN' as const,
    stage: c.stage,
    connectedAt: c.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: c.sourceIp, ...(c.userAgent !== undefined ? { userAgent: c.userAgent } : {}) },
    requestId,
    domainName: c.domainName,
    connectionId: c.connectionId,
    apiId: c.apiId,
  };
}

export interface Handshake {
  /** Header names as the client sent them (WebSocket events keep their case), repeats in order. */
  rawHeaders: readonly string[];
  rawQueryString: string;
}

function multi<T>(entries: Iterable<[string, T]>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const [k, v] of entries) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

function queryPairs(raw: string): [string, string][] {
  const params = new URLSearchParams(raw);
  return [...params.entries()];
}

export function connectEvent(c: ConnectionFacts, handshake: Handshake, now: number): WebSocketEvent {
  const headerPairs: [string, string][] = [];
  for (let i = 0; i + 1 < handshake.rawHeaders.length; i += 2) headerPairs.push([handshake.rawHeaders[i]!, handshake.rawHeaders[i + 1]!]);
  const headers = multi(headerPairs);
  const query = multi(queryPairs(handshake.rawQueryString));
  const event = {
    headers: Object.fromEntries([...headers].map(([k, v]) => [k, v.join(',')])),
    multiValueHeaders: Object.fromEntries(headers),
    ...(query.size
      ? {
          queryStringParameters: Object.fromEntries([...query].map(([k, v]) => [k, v[v.length - 1]!])),
          multiValueQueryStringParameters: Object.fromEntries(query),
        }
      : {}),
    requestContext: requestContext(c, '$connect', 'CONNECT', now, {}),
    isBase64Encoded: false,
  };
  // AWS sends no messageId on CONNECT although @types/aws-lambda declares it.
  return event as unknown as WebSocketEvent;
}

export function messageEvent(c: ConnectionFacts, routeKey: string, body: string, now: number): WebSocketEvent {
  return {
    requestContext: requestContext(c, routeKey, 'MESSAGE', now, { messageId: gatewayId() }),
    body,
    isBase64Encoded: false,
  } as unknown as WebSocketEvent;
}

export function disconnectEvent(c: ConnectionFacts, statusCode: number, reason: string, now: number): WebSocketEvent {
  return {
    headers: { Host: c.domainName },
    multiValueHeaders: { Host: [c.domainName] },
    requestContext: requestContext(c, '$disconnect', 'DISCONNECT', now, { disconnectStatusCode: statusCode, disconnectReason: reason }),
    isBase64Encoded: false,
  } as unknown as WebSocketEvent;
}
