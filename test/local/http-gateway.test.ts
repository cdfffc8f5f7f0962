import { APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpGateway, type HttpGateway } from '../../lib/local/http-gateway.ts';
import { gatewayErrorBody } from '../../lib/matrix/errors.ts';
import { gatewayModule } from '../fixtures/gateway/module.ts';
import { rawRequest } from '../fixtures/gateway/raw-http.ts';

type Handler = (event: APIGatewayProxyEventV2) => unknown;

// Each test says what the functions do; every invocation is recorded with the function's name.
let handlers: Record<string, Handler> = {};
const calls: { fn: string; event: APIGatewayProxyEventV2 }[] = [];
const echoEvent: Handler = (event) => ({ statusCode: 200, body: JSON.stringify(event) });

let gateway: HttpGateway;
let small: HttpGateway;
let strict: HttpGateway;
/** The gateway with the Matrix module's error body, as `npm start` runs it. */
let matrix: HttpGateway;

const invoke = async (fn: string, event: APIGatewayProxyEventV2) => {
  calls.push({ fn, event });
  const handler = handlers[fn];
  if (!handler) throw new Error(`no handler for ${fn}`);
  return handler(event);
};

beforeAll(async () => {
  gateway = await startHttpGateway({ module: gatewayModule, port: 0, invoke });
  small = await startHttpGateway({ module: gatewayModule, port: 0, invoke, maxBodyBytes: 1024, integrationTimeoutMs: 100 });
  const cors = { ...gatewayModule.http.cors!, allowOrigins: ['https://app.example'] };
  strict = await startHttpGateway({ module: { ...gatewayModule, http: { ...gatewayModule.http, cors } }, port: 0, invoke });
  matrix = await startHttpGateway({
    module: { ...gatewayModule, http: { ...gatewayModule.http, gatewayErrorBody } },
    port: 0,
    invoke,
    maxBodyBytes: 1024,
    integrationTimeoutMs: 100,
  });
});
afterAll(async () => {
  await gateway?.stop();
  await small?.stop();
  await strict?.stop();
  await matrix?.stop();
});
beforeEach(() => {
  calls.length = 0;
  handlers = { echo: echoEvent, fallback: echoEvent };
});

const lastEvent = () => APIGatewayProxyEventV2Schema.parse(calls.at(-1)?.event);

describe('HTTP gateway events (payload format 2.0)', () => {
  it('builds the event API Gateway builds: route key, decoded path parameters, query, cookies, headers', async () => {
    const res = await rawRequest(gateway.port, [
      'GET /rooms/%21abc%3Aexample.org?x=1&x=2&y=a%20b&flag HTTP/1.1',
      `Host: 127.0.0.1:${gateway.port}`,
      'User-Agent: gateway-test/1.0',
      'X-Dup: one',
      'x-dup: two',
      'Cookie: a=1; b=2',
      'Cookie: c=3',
    ]);
    expect(res.status).toBe(200);
    expect(calls.map((c) => c.fn)).toEqual(['echo']);
    const event = lastEvent();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /rooms/{roomId}',
      // HTTP APIs hand on the path percent-decoded (REST APIs do not).
      rawPath: '/rooms/!abc:example.org',
      rawQueryString: 'x=1&x=2&y=a%20b&flag',
      cookies: ['a=1', 'b=2', 'c=3'],
      queryStringParameters: { x: '1,2', y: 'a b', flag: '' },
      pathParameters: { roomId: '!abc:example.org' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /rooms/{roomId}',
        stage: '$default',
        domainName: '127.0.0.1',
        http: { method: 'GET', path: '/rooms/!abc:example.org', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'gateway-test/1.0' },
      },
    });
    expect(event.headers['x-dup']).toBe('one,two');
    expect(event.headers['user-agent']).toBe('gateway-test/1.0');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
    expect(res.headers).toContain(`apigw-requestid: ${event.requestContext.requestId}`);
  });

  it('omits cookies, query parameters and path parameters when there are none', async () => {
    await fetch(`${gateway.url}/rooms/public`);
    const event = lastEvent();
    expect(event.routeKey).toBe('GET /rooms/public');
    expect('cookies' in event).toBe(false);
    expect('queryStringParameters' in event).toBe(false);
    expect('pathParameters' in event).toBe(false);
    expect(event.rawQueryString).toBe('');
  });

  it('passes a text body as it is and a binary body base64-encoded', async () => {
    await fetch(`${gateway.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"é":1}' });
    expect(lastEvent()).toMatchObject({ body: '{"é":1}', isBase64Encoded: false });

    const bytes = Buffer.from([0, 255, 1, 254, 0x80]);
    await fetch(`${gateway.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    const event = lastEvent();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);

    // Form posts and bodies without a content type count as binary on HTTP APIs too.
    await fetch(`${gateway.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(lastEvent()).toMatchObject({ body: Buffer.from('a=1').toString('base64'), isBase64Encoded: true });
    const res = await rawRequest(gateway.port, ['POST /echo HTTP/1.1', 'Host: localhost'], '{}');
    expect(res.status).toBe(200);
    expect(lastEvent()).toMatchObject({ body: Buffer.from('{}').toString('base64'), isBase64Encoded: true });
  });

  it('gives the greedy variable the rest of the path, and routes the decoded path as AWS does', async () => {
    await fetch(`${gateway.url}/files/a/b%20c/d.txt`);
    expect(lastEvent()).toMatchObject({ routeKey: 'GET /files/{path+}', pathParameters: { path: 'a/b c/d.txt' }, rawPath: '/files/a/b c/d.txt' });
    // A %2F is a separator once decoded, so it no longer fits one {roomId} segment.
    await fetch(`${gateway.url}/rooms/a%2Fb`);
    expect(lastEvent()).toMatchObject({ routeKey: '$default', rawPath: '/rooms/a/b' });
  });

  it('sends unknown paths and wrong methods to the fallback as the $default route', async () => {
    await fetch(`${gateway.url}/nowhere?q=1`);
    await fetch(`${gateway.url}/rooms/abc`, { method: 'DELETE' });
    expect(calls.map((c) => c.fn)).toEqual(['fallback', 'fallback']);
    for (const { event } of calls) {
      const parsed = APIGatewayProxyEventV2Schema.parse(event);
      expect(parsed.routeKey).toBe('$default');
      expect(parsed.requestContext.routeKey).toBe('$default');
      expect(parsed.pathParameters).toBeUndefined();
    }
    expect(calls[1]!.event.requestContext.http.method).toBe('DELETE');
  });
});

describe('HTTP gateway responses', () => {
  it('sends a structured response: status, headers, one Set-Cookie per cookie, body', async () => {
    handlers.respond = () => ({
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain', 'X-Count': 3 },
      cookies: ['s=1; Path=/', 't=2; HttpOnly'],
      body: 'created',
    });
    const res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-count')).toBe('3');
    expect(res.headers.getSetCookie()).toEqual(['s=1; Path=/', 't=2; HttpOnly']);
    expect(await res.text()).toBe('created');
  });

  it('decodes a base64 body', async () => {
    const bytes = Buffer.from([1, 2, 3, 250]);
    handlers.respond = () => ({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: bytes.toString('base64'), isBase64Encoded: true });
    const res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('turns output without statusCode into a 200 application/json response', async () => {
    handlers.respond = () => ({ message: 'hi', n: 1 });
    let res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'hi', n: 1 });

    handlers.respond = () => 'Hello from Lambda!';
    res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello from Lambda!');
  });

  it('answers 500 Internal Server Error when the function throws or returns a malformed response', async () => {
    handlers.respond = () => {
      throw new Error('boom');
    };
    let res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(res.headers.get('apigw-requestid')).toBeTruthy();

    handlers.respond = () => ({ statusCode: 'ok', body: 'x' });
    res = await fetch(`${gateway.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(500);
  });
});

describe('HTTP gateway CORS and limits', () => {
  it('answers 503 Service Unavailable when the function does not answer within the integration timeout', async () => {
    handlers.respond = () => new Promise(() => {});
    const res = await fetch(`${small.url}/respond`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: 'Service Unavailable' });
  });

  it('answers a preflight itself from the CORS declaration', async () => {
    const res = await fetch(`${gateway.url}/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,DELETE,OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(calls).toEqual([]);
  });

  it('adds the allowed origin to actual responses of cross-origin requests', async () => {
    const res = await fetch(`${gateway.url}/rooms/public`, { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const sameOrigin = await fetch(`${gateway.url}/rooms/public`);
    expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only the declared origins when they are listed', async () => {
    const preflight = (origin: string) =>
      fetch(`${strict.url}/echo`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('vary')).toBe('Origin');
    const denied = await preflight('https://evil.example');
    expect(denied.status).toBe(204);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('access-control-allow-methods')).toBeNull();
    expect(calls).toEqual([]);

    const actual = await fetch(`${strict.url}/rooms/public`, { headers: { origin: 'https://evil.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over the limit with 413 without invoking a function', async () => {
    const res = await fetch(`${small.url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(2048) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(calls).toEqual([]);
    const ok = await fetch(`${small.url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1024) });
    expect(ok.status).toBe(200);
    expect(lastEvent().body).toHaveLength(1024);
  });
});

describe("HTTP gateway's own errors", () => {
  const longUrl = `/rooms/${'x'.repeat(20_000)}`;

  it('without an error body of the module are API Gateway\'s JSON, also for a malformed request or oversized headers', async () => {
    const long = await rawRequest(gateway.port, [`GET ${longUrl} HTTP/1.1`, 'Host: localhost']);
    expect(long.status).toBe(431);
    expect(JSON.parse(long.body)).toEqual({ message: 'Request Header Fields Too Large' });
    const malformed = await rawRequest(gateway.port, ['GET /rooms/x HTTP/1.1', 'Host: localhost', 'Bad Header']);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toEqual({ message: 'Bad Request' });
    expect(calls).toEqual([]);
  });

  it("carry the module's error body: 413 and 431 M_TOO_LARGE, 400 for a malformed request, 500 and 503 M_UNKNOWN", async () => {
    const json = { 'content-type': 'application/json' };
    const body = await fetch(`${matrix.url}/echo`, { method: 'POST', headers: json, body: 'x'.repeat(2048) });
    expect([body.status, await body.json()]).toEqual([413, { errcode: 'M_TOO_LARGE', error: 'Request Entity Too Large' }]);

    const long = await rawRequest(matrix.port, [`GET ${longUrl} HTTP/1.1`, 'Host: localhost']);
    expect(long.status).toBe(431);
    expect(long.headers).toContain('content-type: application/json');
    expect(JSON.parse(long.body)).toEqual({ errcode: 'M_TOO_LARGE', error: 'Request Header Fields Too Large' });
    const malformed = await rawRequest(matrix.port, ['GET /rooms/x HTTP/1.1', 'Host: localhost', 'Bad Header']);
    expect([malformed.status, JSON.parse(malformed.body)]).toEqual([400, { errcode: 'M_UNKNOWN', error: 'Bad Request' }]);
    expect(calls).toEqual([]);

    handlers.respond = () => {
      throw new Error('boom');
    };
    const failed = await fetch(`${matrix.url}/respond`, { method: 'POST' });
    expect([failed.status, await failed.json()]).toEqual([500, { errcode: 'M_UNKNOWN', error: 'Internal Server Error' }]);
    handlers.respond = () => ({ statusCode: 'ok', body: 'x' });
    const malformedResult = await fetch(`${matrix.url}/respond`, { method: 'POST' });
    expect([malformedResult.status, await malformedResult.json()]).toEqual([500, { errcode: 'M_UNKNOWN', error: 'Internal Server Error' }]);
    handlers.respond = () => new Promise(() => {});
    const late = await fetch(`${matrix.url}/respond`, { method: 'POST' });
    expect([late.status, await late.json()]).toEqual([503, { errcode: 'M_UNKNOWN', error: 'Service Unavailable' }]);
  });
});

describe('HTTP gateway stop', () => {
  it('drains: refuses new connections, answers the requests in flight, then closes', async () => {
    const draining = await startHttpGateway({ module: gatewayModule, port: 0, invoke });
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    handlers.respond = async () => {
      await answered;
      return { statusCode: 200, body: 'done' };
    };
    const inFlight = fetch(`${draining.url}/respond`, { method: 'POST' });
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    let stopped = false;
    const stopping = draining.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    await expect(fetch(`${draining.url}/echo`, { method: 'POST' })).rejects.toThrow();
    answer();
    const res = await inFlight;
    expect([res.status, await res.text()]).toEqual([200, 'done']);
    await stopping;
  });
});
