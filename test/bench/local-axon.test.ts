// The bench's Lambda and API Gateway accounting: what an invocation records, and how the cost model
// turns it (and the local mapping's own table requests, which AWS does not bill) into usage.
import { describe, expect, it } from 'vitest';
import { LOCAL_MAPPING_SERVICE, RequestAccounting } from '../../bench/accounting.ts';
import { usageFromAccounting } from '../../bench/cost-model.ts';
import { invocationAccounting } from '../../bench/local-axon.ts';
import { functionDefaults } from '../../lib/core/module.ts';
import { defineModule } from '../../lib/core/module.ts';

const module = defineModule({
  name: 'bench-accounting',
  functions: {
    api: { entry: 'functions/http/api.ts', description: 'an HTTP function', access: {} },
    wsConnect: { entry: 'functions/ws/connect.ts', description: 'the $connect route', access: {} },
    wsMessages: { entry: 'functions/ws/messages.ts', description: 'client frames', access: {} },
    topology: { entry: 'functions/streams/t.ts', description: 'a stream topology', memoryMb: 2048, access: {} },
  },
  depots: [{ name: 'things', partitionKey: 'id', shards: 1 }],
  pstates: [],
  topologies: [{ name: 't', kind: 'stream', depot: 'things', function: 'topology', batchSize: 100, batchingWindowMs: 0, maxRetries: 1 }],
  http: { routes: [{ method: 'GET', path: '/x', function: 'api', operation: 'x' }], fallback: 'api' },
  websocket: { routes: [{ route: '$connect', function: 'wsConnect' }, { route: 'ping', function: 'wsMessages' }], routeSelectionField: 'action' },
} as unknown as Parameters<typeof defineModule>[0]);

describe('invocation accounting', () => {
  it('records Lambda requests and GB-seconds at the deployed memory, HTTP requests and WebSocket messages per phase', async () => {
    const accounting = new RequestAccounting();
    const record = invocationAccounting(module, accounting);
    await accounting.during('p', async () => {
      // The local invoker reports each function's deployed memory: the declared one or the default.
      const memoryMb = functionDefaults.memoryMb;
      record({ functionName: 'api', durationMs: 1000, memoryMb, failed: false });
      record({ functionName: 'api', durationMs: 500, memoryMb, failed: true });
      record({ functionName: 'wsConnect', durationMs: 10, memoryMb, failed: false });
      record({ functionName: 'wsMessages', durationMs: 10, memoryMb, failed: false });
      record({ functionName: 'topology', durationMs: 1000, memoryMb: 2048, failed: false });
    });
    const u = usageFromAccounting(accounting.phaseCounts('p'));
    expect(u.lambdaInvocations).toBe(5);
    // api: 1.5 s at 512 MB; ws: 2 × 0.01 s at 512 MB; topology: 1 s at its declared 2048 MB.
    expect(functionDefaults.memoryMb).toBe(512);
    expect(u.lambdaGbSeconds).toBeCloseTo(1.5 * 0.5 + 0.02 * 0.5 + 2, 10);
    expect(u.httpRequests).toBe(2);
    expect(u.websocketMessages).toBe(1);
    expect(accounting.phaseCounts('p').find((o) => o.operation === 'api')?.errors).toBe(1);
  });

  it('leaves the local event source mapping\'s checkpoint requests out of the priced usage', () => {
    const base = { errors: 0, kinesisRecords: 0, putPayloadUnits: 0, kinesisBytesIn: 0, kinesisBytesOut: 0, gbSeconds: 0, readCapacityUnits: 0 };
    const u = usageFromAccounting([
      { ...base, service: LOCAL_MAPPING_SERVICE, operation: 'PutItem', requests: 10, writeCapacityUnits: 10 },
      { ...base, service: 'DynamoDB', operation: 'PutItem', requests: 3, writeCapacityUnits: 3 },
    ]);
    expect(u.dynamoWriteUnits).toBe(3);
  });
});
