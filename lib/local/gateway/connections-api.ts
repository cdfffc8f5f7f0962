// The `@connections` management API of a WebSocket API, over plain HTTP on the gateway's port,
// answering the way AWS does so the real ApiGatewayManagementApiClient works unchanged: error type
// in `x-amzn-errortype` (and `__type`), JSON field names from the service model's jsonName traits.
// As on AWS, a request must be signed (SigV4) with credentials allowed to manage connections: here
// the runtime's per-run key; anything else gets 403 ForbiddenException before it can act.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { signatureProblem, type SigningCredentials } from './sigv4.ts';

export interface ManagedConnection {
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string | undefined;
  /** Sends one text frame; false when the connection is no longer open. */
  post(data: Buffer): boolean;
  /** Closes the connection from the server side. */
  close(): void;
}

/** AWS's limit for one PostToConnection payload. */
export const MAX_POST_BYTES = 128 * 1024;

// `/@connections/{id}`, optionally behind a stage prefix when the endpoint URL names a stage.
const PATH = /^(?:\/[^/]+)?\/@connections\/([^/?]+)\/?(?:\?.*)?$/;

function error(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

export async function handleConnectionsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  lookup: (connectionId: string) => ManagedConnection | undefined,
  credentials: SigningCredentials,
): Promise<void> {
  const m = PATH.exec(req.url ?? '');
  if (!m) {
    error(res, 404, 'NotFoundException', 'Not Found');
    return;
  }
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(m[1]!);
  } catch {
    connectionId = m[1]!;
  }
  const method = req.method ?? 'GET';
  const body = await readAll(req, MAX_POST_BYTES);
  if (!body) {
    error(res, 413, 'PayloadTooLargeException', `payload larger than ${MAX_POST_BYTES} bytes`);
    return;
  }
  const problem = await signatureProblem({ method, url: req.url ?? '/', headers: req.headers }, body, credentials, 'execute-api');
  if (problem) {
    error(res, 403, 'ForbiddenException', problem);
    return;
  }
  const connection = lookup(connectionId);
  if (!['GET', 'POST', 'DELETE'].includes(method)) {
    error(res, 405, 'MethodNotAllowedException', `${method} is not supported`);
    return;
  }
  if (!connection) {
    error(res, 410, 'GoneException', `connection ${connectionId} is gone`);
    return;
  }
  if (method === 'POST') {
    if (!connection.post(body)) {
      error(res, 410, 'GoneException', `connection ${connectionId} is gone`);
      return;
    }
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  } else if (method === 'GET') {
    const out = JSON.stringify({
      connectedAt: new Date(connection.connectedAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, ...(connection.userAgent !== undefined ? { userAgent: connection.userAgent } : {}) },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  } else {
    connection.close();
    res.writeHead(204);
    res.end();
  }
}
