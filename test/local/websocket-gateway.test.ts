import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { APIGatewayProxyWebsocketEventSchema } from '@aws-lambda-powertools/parser/schemas/api-gateway-websocket';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebSocketGateway, type WebSocketEvent, type WebSocketGateway } from '../../lib/local/websocket-gateway.ts';
import { gatewayModule } from '../fixtures/gateway/module.ts';
import { accepts, externalAddresses } from '../support/listening.ts';

// The powertools schema describes a REQUEST-authorizer event (it requires `type`, `methodArn` and
// multi-value fields on every event); Lambda proxy events carry AWS's requestContext plus, per
// event type, only some top-level fields. So each event is checked against the parts of the
// schema that AWS sends for its type.
const Ws = APIGatewayProxyWebsocketEventSchema;
const ConnectSchema = Ws.pick({ requestContext: true, headers: true, multiValueHeaders: true, isBase64Encoded: true }).extend({
  queryStringParameters: Ws.shape.queryStringParameters.optional(),
  multiValueQueryStringParameters: Ws.shape.multiValueQueryStringParameters.optional(),
});
const MessageSchema = Ws.pick({ requestContext: true, body: true, isBase64Encoded: true });
const DisconnectSchema = Ws.pick({ requestContext: true, isBase64Encoded: true });

type Handler = (event: WebSocketEvent) => unknown;
let handlers: Record<string, Handler> = {};
const calls: { fn: string; event: WebSocketEvent }[] = [];
const invoke = async (fn: string, event: WebSocketEvent) => {
  calls.push({ fn, event });
  return handlers[fn]?.(event);
};
const callsOf = (fn: string) => calls.filter((c) => c.fn === fn).map((c) => c.event);

const defaultHandlers = (): Record<string, Handler> => ({
  connect: (event) => {
    const token = event.queryStringParameters?.access_token;
    if (token === 'throw') throw new Error('connect failed');
    return { statusCode: token === 'good' ? 200 : 401 };
  },
});

/** Polls until `check` stops throwing; the test's own timeout bounds it. */
async function eventually<T>(check: () => T): Promise<T> {
  for (;;) {
    try {
      return check();
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

interface Client {
  ws: WebSocket;
  frames: { text: string; binary: boolean }[];
  closed: Promise<number>;
}

function open(url: string): Promise<Client> {
  const ws = new WebSocket(url, { headers: { 'User-Agent': 'ws-test/1.0' } });
  const frames: Client['frames'] = [];
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ text: data.toString('utf8'), binary }));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

let gateway: WebSocketGateway;
let management: ApiGatewayManagementApiClient;
const clients: WebSocket[] = [];
const connect = async (token = 'good') => {
  const client = await open(`${gateway.url}/?access_token=${token}`);
  clients.push(client.ws);
  const connectionId = callsOf('connect').at(-1)!.requestContext.connectionId;
  return { ...client, connectionId };
};
const managementClient = (endpoint: string, credentials = gateway.managementCredentials) =>
  new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

beforeAll(async () => {
  // Clients' host on every interface: the management endpoint stays on loopback regardless.
  gateway = await startWebSocketGateway({ module: gatewayModule, host: '0.0.0.0', port: 0, invoke });
  management = managementClient(gateway.managementEndpoint);
});
afterAll(async () => {
  management?.destroy();
  await gateway?.stop();
});
beforeEach(() => {
  calls.length = 0;
  handlers = defaultHandlers();
});
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.close();
  await eventually(() => expect(gateway.connectionCount()).toBe(0));
});

describe('WebSocket gateway $connect', () => {
  it('accepts a connection $connect allows, handing it the query string and headers', async () => {
    const { connectionId } = await connect('good');
    expect(gateway.connectionCount()).toBe(1);
    const event = ConnectSchema.parse(callsOf('connect')[0]);
    expect(event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', connectionId, apiId: 'local' });
    expect(event.requestContext.identity).toEqual({ sourceIp: '127.0.0.1', userAgent: 'ws-test/1.0' });
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.queryStringParameters).toEqual({ access_token: 'good' });
    expect(event.multiValueQueryStringParameters).toEqual({ access_token: ['good'] });
    expect(event.headers?.['Sec-WebSocket-Version']).toBe('13');
    expect(event.multiValueHeaders['User-Agent']).toEqual(['ws-test/1.0']);
  });

  it('refuses the handshake with the status $connect returns, or 500 when it throws', async () => {
    await expect(open(`${gateway.url}/?access_token=bad`)).rejects.toThrow(/Unexpected server response: 401/);
    await expect(open(`${gateway.url}/?access_token=throw`)).rejects.toThrow(/Unexpected server response: 500/);
    expect(callsOf('connect')).toHaveLength(2);
    expect(gateway.connectionCount()).toBe(0);
    expect(callsOf('disconnect')).toEqual([]);
  });
});

describe('WebSocket gateway messages', () => {
  it('routes by the selection field, else to $default, in arrival order', async () => {
    const { ws, connectionId } = await connect();
    ws.send(JSON.stringify({ action: 'typing', typing: true }));
    ws.send(JSON.stringify({ action: 'unknown' }));
    ws.send('not json');
    ws.send(JSON.stringify({ action: 'typing', typing: false }));
    const messages = await eventually(() => {
      const m = calls.filter((c) => c.event.requestContext.eventType === 'MESSAGE');
      expect(m).toHaveLength(4);
      return m;
    });
    expect(messages.map((m) => [m.fn, m.event.body])).toEqual([
      ['typing', '{"action":"typing","typing":true}'],
      ['wsDefault', '{"action":"unknown"}'],
      ['wsDefault', 'not json'],
      ['typing', '{"action":"typing","typing":false}'],
    ]);
    for (const { event } of messages) {
      const parsed = MessageSchema.parse(event);
      expect(parsed.requestContext).toMatchObject({ eventType: 'MESSAGE', connectionId, messageDirection: 'IN' });
      expect(parsed.isBase64Encoded).toBe(false);
      expect(event.requestContext.messageId).toEqual(expect.any(String));
    }
    expect(messages.map((m) => m.event.requestContext.routeKey)).toEqual(['typing', '$default', '$default', 'typing']);
  });

  it('sends the client an error frame when the route function throws', async () => {
    handlers.typing = () => {
      throw new Error('nope');
    };
    const { ws, frames, connectionId } = await connect();
    ws.send(JSON.stringify({ action: 'typing' }));
    const frame = await eventually(() => {
      expect(frames).toHaveLength(1);
      return JSON.parse(frames[0]!.text) as Record<string, unknown>;
    });
    expect(frame).toMatchObject({ message: 'Internal server error', connectionId });
  });

  it('closes the connection on a binary frame (1003) or a message over 128 KB (1009), as AWS does', async () => {
    const binary = await connect();
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await binary.closed).toBe(1003);
    const big = await connect();
    // In frames of 32 KB (a larger frame is refused by itself): the whole message is over 128 KB.
    const message = 'x'.repeat(128 * 1024 + 1);
    for (let i = 0; i * 32 * 1024 < message.length; i++) big.ws.send(message.slice(i * 32 * 1024, (i + 1) * 32 * 1024), { fin: (i + 1) * 32 * 1024 >= message.length });
    expect(await big.closed).toBe(1009);
    expect(calls.filter((c) => c.event.requestContext.eventType === 'MESSAGE')).toEqual([]);
  });

  it('closes the connection on a frame over 32 KB (1009) but takes a 128 KB message in frames of 32 KB, as AWS does', async () => {
    const oneFrame = await connect();
    oneFrame.ws.send(JSON.stringify({ action: 'typing', pad: 'x'.repeat(32 * 1024) }));
    expect(await oneFrame.closed).toBe(1009);
    expect(calls.filter((c) => c.event.requestContext.eventType === 'MESSAGE')).toEqual([]);

    const { ws } = await connect();
    const message = JSON.stringify({ action: 'typing', pad: 'y'.repeat(128 * 1024 - 40) });
    const frames = Math.ceil(message.length / (32 * 1024));
    for (let i = 0; i < frames; i++) ws.send(message.slice(i * 32 * 1024, (i + 1) * 32 * 1024), { fin: i === frames - 1 });
    ws.send(JSON.stringify({ action: 'typing', pad: 'z'.repeat(32 * 1024 - 40) }));
    const delivered = await eventually(() => {
      const m = calls.filter((c) => c.event.requestContext.eventType === 'MESSAGE');
      expect(m).toHaveLength(2);
      return m;
    });
    expect(delivered[0]!.event.body).toBe(message);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('runs $disconnect when the client goes away', async () => {
    const { ws, connectionId } = await connect();
    ws.close(1000, 'bye');
    const [event] = await eventually(() => {
      const d = callsOf('disconnect');
      expect(d).toHaveLength(1);
      return d;
    });
    const parsed = DisconnectSchema.parse(event);
    expect(parsed.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId });
    expect(gateway.connectionCount()).toBe(0);
  });
});

describe('@connections management API (real ApiGatewayManagementApiClient)', () => {
  it('posts a text frame, describes the connection, and deletes it', async () => {
    const { frames, closed, connectionId } = await connect();
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"sync"}') }));
    await eventually(() => expect(frames).toEqual([{ text: '{"type":"sync"}', binary: false }]));

    const described = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.LastActiveAt).toBeInstanceOf(Date);
    expect(described.ConnectedAt!.getTime()).toBe(callsOf('connect')[0]!.requestContext.connectedAt);
    expect(described.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'ws-test/1.0' });

    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await closed;
    await eventually(() => expect(callsOf('disconnect').map((e) => e.requestContext.connectionId)).toEqual([connectionId]));

    const gone = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('late') })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(GoneException);
    expect((gone as GoneException).$metadata.httpStatusCode).toBe(410);
  });

  it('refuses a post over 128 KB with PayloadTooLargeException', async () => {
    const { frames, connectionId } = await connect();
    const tooLarge = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 'x') }));
    await expect(tooLarge).rejects.toBeInstanceOf(PayloadTooLargeException);
    expect(frames).toEqual([]);
  });

  it('reports an unknown connection as GoneException for every operation', async () => {
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: 'nope=', Data: Buffer.from('x') }),
      new GetConnectionCommand({ ConnectionId: 'nope=' }),
      new DeleteConnectionCommand({ ConnectionId: 'nope=' }),
    ]) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await expect(management.send(command as any)).rejects.toBeInstanceOf(GoneException);
    }
  });

  it('accepts an endpoint that names the stage', async () => {
    const staged = managementClient(`${gateway.managementEndpoint}/local`);
    try {
      const { frames, connectionId } = await connect();
      await staged.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('hello') }));
      await eventually(() => expect(frames.map((f) => f.text)).toEqual(['hello']));
    } finally {
      staged.destroy();
    }
  });
});

describe('@connections access', () => {
  const managementPort = () => Number(new URL(gateway.managementEndpoint).port);

  it('listens on loopback only, on its own port, even when clients connect on every interface', async () => {
    expect(new URL(gateway.managementEndpoint).hostname).toBe('127.0.0.1');
    expect(managementPort()).not.toBe(Number(new URL(gateway.url).port));
    const external = externalAddresses();
    expect(external.length, 'this check needs a non-loopback interface').toBeGreaterThan(0);
    for (const address of external) {
      expect(await accepts(address, managementPort()), address).toBe(false);
      // The clients' port (0.0.0.0: IPv4) answers there: the refusal above is the binding's doing.
      if (!address.includes(':')) expect(await accepts(address, Number(new URL(gateway.url).port)), `clients' port on ${address}`).toBe(true);
    }
  });

  it("does not serve @connections on the clients' port", async () => {
    const { frames, connectionId } = await connect();
    const clientsPort = `http://127.0.0.1:${new URL(gateway.url).port}`;
    const res = await fetch(`${clientsPort}/@connections/${encodeURIComponent(connectionId)}`, { method: 'POST', body: 'forged' });
    expect(res.status).toBe(426);
    const signed = managementClient(clientsPort);
    try {
      await expect(signed.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('forged') }))).rejects.toThrow();
    } finally {
      signed.destroy();
    }
    expect(frames).toEqual([]);
  });

  it('refuses unsigned POST and DELETE with 403 and leaves the connection alone', async () => {
    const { frames, connectionId } = await connect();
    const url = `${gateway.managementEndpoint}/@connections/${encodeURIComponent(connectionId)}`;
    for (const method of ['POST', 'DELETE', 'GET']) {
      const res = await fetch(url, { method, body: method === 'POST' ? '{"type":"sync","forged":true}' : undefined });
      expect(res.status, method).toBe(403);
      expect(res.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
      expect(await res.json()).toEqual({ __type: 'ForbiddenException', message: 'Missing Authentication Token' });
    }
    expect(frames).toEqual([]);
    expect(gateway.connectionCount()).toBe(1);
  });

  it('refuses requests signed with another key, or whose signed body was swapped, with 403', async () => {
    const { frames, connectionId } = await connect();
    const { accessKeyId } = gateway.managementCredentials;
    for (const credentials of [
      { accessKeyId, secretAccessKey: 'guessed' },
      { accessKeyId: '000000000000', secretAccessKey: 'local' },
    ]) {
      const forger = managementClient(gateway.managementEndpoint, credentials);
      try {
        for (const command of [
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('forged') }),
          new DeleteConnectionCommand({ ConnectionId: connectionId }),
        ]) {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const refused = await forger.send(command as any).catch((e: unknown) => e);
          expect(refused).toBeInstanceOf(ForbiddenException);
          expect((refused as ForbiddenException).$metadata.httpStatusCode).toBe(403);
        }
      } finally {
        forger.destroy();
      }
    }
    // A genuine signature replayed with another body: the payload hash no longer matches.
    const swapped = managementClient(gateway.managementEndpoint);
    swapped.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown };
        request.body = Buffer.from('forged!'); // as long as 'genuine': content-length still holds
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'swapBodyAfterSigning' },
    );
    try {
      await expect(swapped.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('genuine') }))).rejects.toBeInstanceOf(ForbiddenException);
    } finally {
      swapped.destroy();
    }
    expect(frames).toEqual([]);
    expect(gateway.connectionCount()).toBe(1);
  });
});

describe('WebSocket gateway connection limits', () => {
  it('closes an idle connection with 1001 and runs $disconnect', async () => {
    const own = await startWebSocketGateway({ module: gatewayModule, port: 0, invoke, idleTimeoutMs: 50 });
    try {
      const client = await open(`${own.url}/?access_token=good`);
      expect(await client.closed).toBe(1001);
      await eventually(() => expect(callsOf('disconnect')).toHaveLength(1));
      expect(own.connectionCount()).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

describe('WebSocket gateway stop', () => {
  it('closes every socket, running $disconnect for each', async () => {
    const own = await startWebSocketGateway({ module: gatewayModule, port: 0, invoke });
    const a = await open(`${own.url}/?access_token=good`);
    const b = await open(`${own.url}/?access_token=good`);
    expect(own.connectionCount()).toBe(2);
    await own.stop();
    expect(await a.closed).toBe(1001);
    expect(await b.closed).toBe(1001);
    expect(own.connectionCount()).toBe(0);
    expect(callsOf('disconnect')).toHaveLength(2);
  });
});
