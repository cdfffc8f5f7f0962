// A declared operation (lib/http/operation.ts): the HTTP layer does what the declaration says, in
// one order (JSON, path parameters, authentication, rate limit, body schema), through the hooks
// the host injects, and the handler gets the requester, its parameters and its checked body. The
// hooks here are not Matrix's: lib/http works with any.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invocationContext } from '../../lib/core/topology/records.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json, operationsFor, type HttpHooks } from '../../lib/http/operation.ts';
import { gatewayModule } from '../fixtures/gateway/module.ts';

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function hooks(steps: string[]): HttpHooks<{ name: string }> {
  return {
    parseJson(raw) {
      steps.push('json');
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw new Refusal(400, 'not json');
      }
    },
    checkPathParameters(params) {
      steps.push('params');
      if (params.roomId === 'bad') throw new Refusal(400, 'bad param');
    },
    async authenticate(request, mode) {
      steps.push(`auth:${mode}`);
      if (!request.accessToken) {
        if (mode === 'optional') return undefined;
        throw new Refusal(401, 'no token');
      }
      return { name: request.accessToken };
    },
    async rateLimit(requester, limitClass) {
      steps.push(`limit:${limitClass}:${requester?.name}`);
    },
    validateBody(schema, body) {
      steps.push('body');
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new Refusal(400, 'bad body');
      return parsed.data;
    },
    noRoute: () => ({ status: 404, body: { refused: 'no route' } }),
    tooLarge: (max) => ({ status: 413, body: { refused: `over ${max}` } }),
    outOfTime: () => ({ status: 503, body: { refused: 'late' } }),
    errorResponse: (e) => (e instanceof Refusal ? { status: e.status, body: { refused: e.message } } : { status: 500, body: { refused: 'internal' } }),
  };
}

const operation = operationsFor<{ name: string }>();
const putRoom = z.object({ topic: z.string() });

function event(method: string, path: string, routeKey: string, pathParameters: Record<string, string>, body?: string, token?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    pathParameters,
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
  };
}

function serve(steps: string[]) {
  const handler = httpFunction(
    gatewayModule,
    'echo',
    {
      putRoom: operation({ auth: 'user', params: ['roomId'], body: putRoom, rateLimit: 'writes' }, ({ requester, params, body }) =>
        json({ who: requester.name, room: params.roomId, topic: body.topic }),
      ),
      getRoom: operation({ auth: 'optional', params: ['roomId'], body: putRoom, optionalBody: true }, ({ requester, params }) =>
        json({ who: requester?.name ?? null, room: params.roomId }),
      ),
      ...Object.fromEntries(['getRoomState', 'publicRooms', 'getFile', 'echo'].map((name) => [name, () => json({})])),
    },
    hooks(steps),
  );
  return async (method: string, roomId: string, body?: string, token?: string) => {
    const routeKey = `${method} /rooms/{roomId}`;
    const result = (await handler(event(method, `/rooms/${roomId}`, routeKey, { roomId }, body, token), invocationContext('echo', 10_000))) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as unknown };
  };
}

describe('declared operations', () => {
  it('hand the handler its requester, parameters and checked body, after every step in order', async () => {
    const steps: string[] = [];
    const answer = await serve(steps)('PUT', '!r', JSON.stringify({ topic: 't' }), 'alice');
    expect(answer).toEqual({ status: 200, body: { who: 'alice', room: '!r', topic: 't' } });
    expect(steps).toEqual(['json', 'params', 'auth:user', 'limit:writes:alice', 'body']);
  });

  it('answer bad JSON before the path parameters, bad parameters before the token, the token before the body', async () => {
    const call = serve([]);
    expect(await call('PUT', 'bad', '{', undefined)).toEqual({ status: 400, body: { refused: 'not json' } });
    expect(await call('PUT', 'bad', '{}', undefined)).toEqual({ status: 400, body: { refused: 'bad param' } });
    expect(await call('PUT', '!r', '{}', undefined)).toEqual({ status: 401, body: { refused: 'no token' } });
    expect(await call('PUT', '!r', '{}', 'alice')).toEqual({ status: 400, body: { refused: 'bad body' } });
  });

  it('take no token as no requester when authentication is optional, and no body as {} when the body is optional', async () => {
    const steps: string[] = [];
    expect(await serve(steps)('GET', '!r')).toEqual({ status: 400, body: { refused: 'bad body' } });
    expect(steps).toEqual(['params', 'auth:optional', 'body']);
  });

  it('refuse at start an operation reading a path parameter its route does not have', () => {
    expect(() =>
      httpFunction(gatewayModule, 'respond', { respond: operation({ auth: 'none', params: ['roomId'] }, () => json({})) }, hooks([])),
    ).toThrow(/respond reads roomId, not in POST \/respond/);
  });
});
