// An HTTP function answers by itself before anything above it gives up: an operation still running
// when the function's time or API Gateway's 30 s are nearly over is answered 503 M_UNKNOWN, where
// API Gateway would answer {"message": ...} (integration timeout) or Lambda's timeout a bare 500.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AckTimeoutError } from '../../lib/core/ack.ts';
import { invocationContext } from '../../lib/core/topology/records.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import type { Operation } from '../../lib/http/operation.ts';
import { matrixHooks } from '../../lib/matrix/routes/operation.ts';
import { gatewayModule } from '../fixtures/gateway/module.ts';

function event(receivedAgoMs: number): APIGatewayProxyEventV2 {
  const timeEpoch = Date.now() - receivedAgoMs;
  return {
    version: '2.0',
    routeKey: 'POST /respond',
    rawPath: '/respond',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/respond', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey: 'POST /respond',
      stage: '$default',
      time: '',
      timeEpoch,
    },
  };
}

async function call(run: Operation, receivedAgoMs: number, context: Context) {
  const handler = httpFunction(gatewayModule, 'respond', { respond: run }, matrixHooks);
  const result = (await handler(event(receivedAgoMs), context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as unknown, left: context.getRemainingTimeInMillis() };
}

const never: Operation = () => new Promise(() => {});

describe('HTTP function deadline', () => {
  it("answers 503 M_UNKNOWN before the function's own timeout", async () => {
    const answer = await call(never, 0, invocationContext('respond', 1_500));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ errcode: 'M_UNKNOWN' });
    expect(answer.left).toBeGreaterThan(0);
  });

  it("answers before API Gateway's 30 s are over, however long the function may run", async () => {
    const answer = await call(never, 29_500, invocationContext('respond', 60_000));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ errcode: 'M_UNKNOWN' });
  });

  it("tells the operation the time left before either deadline", async () => {
    const answer = await call((request) => ({ status: 200, body: { left: request.remainingTimeMs() } }), 20_000, invocationContext('respond', 60_000));
    expect(answer.status).toBe(200);
    const { left } = answer.body as { left: number };
    expect(left).toBeLessThanOrEqual(10_000);
    expect(left).toBeGreaterThan(5_000);
  });
});

describe('HTTP function, write not applied in time', () => {
  it('answers 503 M_UNKNOWN with retry_after_ms and Retry-After, not a 500, when no outcome came within the wait', async () => {
    const handler = httpFunction(gatewayModule, 'respond', {
      respond: () => {
        throw new AckTimeoutError('rooms', 'request-1', 20_000);
      },
    }, matrixHooks);
    const result = (await handler(event(0), invocationContext('respond', 60_000))) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? 'null')).toMatchObject({ errcode: 'M_UNKNOWN', retry_after_ms: 2_000 });
    expect(result.headers?.['retry-after']).toBe('2');
  });
});
