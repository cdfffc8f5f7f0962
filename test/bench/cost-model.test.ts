import { describe, expect, it } from 'vitest';
import {
  dollarsPerMillionMessages, enhancedConsumerShards, idleSyncServiceUserPerMonth, fixedMonthlyConsumerCost, fixedMonthlyKinesisCost, withEnhancedFanOut, idleLongPollUserPerMonth, idleWebSocketUsagePerMonth,
  idleWebSocketUserPerMonth, lambdaGbSeconds, messageUsage, usage, usageCost, usageFromAccounting,
} from '../../bench/cost-model.ts';
import type { OperationCount } from '../../bench/accounting.ts';
import { axon, axonModule } from '../../lib/matrix/module.ts';

// Expected values below are worked out by hand from the us-east-1 prices in bench/pricing.ts.
describe('cost model', () => {
  it('prices DynamoDB request units and Kinesis in both capacity modes', () => {
    expect(usageCost(usage({ dynamoReadUnits: 1e6, dynamoWriteUnits: 1e6 })).dynamodb).toBeCloseTo(0.75, 10);
    const kinesis = usage({ kinesisBytesIn: 1024 ** 3, kinesisBytesOut: 2 * 1024 ** 3, kinesisPutPayloadUnits: 1e6 });
    expect(usageCost(kinesis, { kinesisMode: 'on-demand' }).kinesis).toBeCloseTo(0.16, 10);
    expect(usageCost(kinesis, { kinesisMode: 'provisioned' }).kinesis).toBeCloseTo(0.014, 10);
    expect(fixedMonthlyKinesisCost(2, 'provisioned')).toBeCloseTo(21.9, 10);
    expect(fixedMonthlyKinesisCost(1, 'on-demand')).toBeCloseTo(29.2, 10);
  });

  it('prices enhanced fan-out: consumer-shard hours of the declared consumers, and the data each retrieves', () => {
    // rooms (2 shards) + users, userData, keys (1 shard each); none without enhanced fan-out.
    expect(enhancedConsumerShards(axon)).toBe(5);
    expect(enhancedConsumerShards(axonModule({ enhancedFanOut: false }))).toBe(0);
    expect(fixedMonthlyConsumerCost(5)).toBeCloseTo(54.75, 10);
    // 1 GB appended, read by two enhanced consumers: 2 GB at $0.013, in either capacity mode.
    const read = withEnhancedFanOut(usage({ kinesisBytesIn: 1024 ** 3 }), 2);
    expect(usageCost(read, { kinesisMode: 'provisioned' }).kinesis).toBeCloseTo(0.026, 10);
    expect(usageCost(read, { kinesisMode: 'on-demand' }).kinesis).toBeCloseTo(0.08 + 0.026, 10);
  });

  it('rounds Lambda duration up to the millisecond', () => {
    expect(lambdaGbSeconds(100.2, 512)).toBeCloseTo(0.0505, 12);
    expect(lambdaGbSeconds(1000, 1024)).toBe(1);
  });

  it('computes dollars per million messages from fixed, per-member and per-online parts', () => {
    const profile = {
      perMessage: usage({ kinesisPutPayloadUnits: 1, dynamoWriteUnits: 2, lambdaInvocations: 1, httpRequests: 1 }),
      perMember: usage({ dynamoReadUnits: 0.5 }),
      perOnlineMember: usage({ websocketMessages: 1 }),
    };
    expect(messageUsage(profile, 10, 4)).toMatchObject({ dynamoReadUnits: 5, websocketMessages: 4, dynamoWriteUnits: 2 });
    const cost = dollarsPerMillionMessages(profile, 10, 4, { kinesisMode: 'provisioned' });
    // 0.014 (PPU) + 1.25 (2M WRU) + 0.625 (5M RRU) + 0.2 (1M invocations) + 1.0 (1M HTTP) + 4.0 (4M WS messages)
    expect(cost.kinesis).toBeCloseTo(0.014, 10);
    expect(cost.dynamodb).toBeCloseTo(1.875, 10);
    expect(cost.apiGateway).toBeCloseTo(5, 10);
    expect(cost.total).toBeCloseTo(7.089, 10);
    expect(() => messageUsage(profile, 3, 4)).toThrow(RangeError);
  });

  it('prices an idle WebSocket user: connection minutes, keep-alives and reconnects every 2 hours', () => {
    const options = { perConnection: usage({ lambdaInvocations: 2, dynamoWriteUnits: 2 }) };
    // 730 h = 43,800 min; 365 connections of 120 min; a keep-alive every 9 min = 4,866 messages.
    expect(idleWebSocketUsagePerMonth(options)).toMatchObject({ websocketConnectionMinutes: 43800, websocketMessages: 4866, lambdaInvocations: 730, dynamoWriteUnits: 730 });
    // 0.01095 + 0.004866 + 0.000146 + 0.00045625
    expect(idleWebSocketUserPerMonth(options).total).toBeCloseTo(0.01641825, 10);
    expect(() => idleWebSocketUserPerMonth({ ...options, keepaliveIntervalMinutes: 10 })).toThrow(RangeError);
  });

  it('prices an idle long-polling user by the polls a month of timeouts makes', () => {
    const perPoll = usage({ httpRequests: 1, lambdaInvocations: 1, lambdaGbSeconds: lambdaGbSeconds(30_000, 256), dynamoReadUnits: 1 });
    const cost = idleLongPollUserPerMonth({ perPoll, pollTimeoutSeconds: 30 });
    // 87,600 polls: 0.0876 HTTP + 0.01752 invocations + 657,000 GB-s × 0.0000133334 + 0.01095 reads
    expect(cost.apiGateway).toBeCloseTo(0.0876, 10);
    expect(cost.lambda).toBeCloseTo(0.01752 + 657_000 * 0.0000133334, 8);
    expect(cost.total).toBeCloseTo(8.8761138, 6);
  });

  it('turns accounting counts into usage', () => {
    const base = { errors: 0, readCapacityUnits: 0, writeCapacityUnits: 0, kinesisRecords: 0, putPayloadUnits: 0, kinesisBytesIn: 0, kinesisBytesOut: 0, gbSeconds: 0 };
    const ops: OperationCount[] = [
      { ...base, service: 'DynamoDB', operation: 'PutItem', requests: 3, writeCapacityUnits: 3 },
      { ...base, service: 'Kinesis', operation: 'PutRecord', requests: 2, kinesisRecords: 2, putPayloadUnits: 2, kinesisBytesIn: 2048 },
      { ...base, service: 'ApiGatewayManagementApi', operation: 'PostToConnection', requests: 5 },
    ];
    expect(usageFromAccounting(ops)).toMatchObject({ dynamoWriteUnits: 3, kinesisPutPayloadUnits: 2, kinesisBytesIn: 2048, websocketMessages: 5, httpRequests: 0 });
    // DynamoDB Local reports a transactional item once; AWS bills it twice.
    const transaction = [{ ...base, service: 'DynamoDB', operation: 'TransactWriteItems', requests: 1, writeCapacityUnits: 2 }, ...ops];
    expect(usageFromAccounting(transaction).dynamoWriteUnits).toBe(5);
    expect(usageFromAccounting(transaction, { transactionalUnitsReportedOnce: true }).dynamoWriteUnits).toBe(7);
  });

  it("prices an idle user on the sync service: the polls, the users' share of tasks and of the load balancer", () => {
    // One poll every 30 s: 87,600 a month, each one HTTP API request and 2 read units.
    const perPoll = usage({ httpRequests: 1, dynamoReadUnits: 2 });
    const task = { vcpu: 1, memoryGb: 2 };
    const at = (users: number) => idleSyncServiceUserPerMonth({ perPoll, pollTimeoutSeconds: 30, users, pollsPerTask: 10_000, minTasks: 1, task });
    // Polls: 0.0876 HTTP + 175,200 RRU × $0.125/M = 0.0219.
    expect(at(10_000).perPolls).toBeCloseTo(0.0876 + 0.0219, 10);
    // 10,000 users: one task ((0.03238 + 2 × 0.00356) × 730 = $28.8) and 10,000 / 30 / 25 = 13.3 LCU
    // of new connections: (0.0225 + 13.33 × 0.008) × 730 = $94.3, shared by 10,000.
    const tenThousand = at(10_000);
    expect(tenThousand.taskCount).toBe(1);
    expect(tenThousand.tasks).toBeCloseTo(((0.03238 + 2 * 0.00356) * 730) / 10_000, 10);
    expect(tenThousand.loadBalancerCapacityUnits).toBeCloseTo(10_000 / 30 / 25, 10);
    expect(tenThousand.loadBalancer).toBeCloseTo(((0.0225 + (10_000 / 30 / 25) * 0.008) * 730) / 10_000, 10);
    // 100 users still pay the floor of one task and the balancer's hours: far more each.
    expect(at(100).taskCount).toBe(1);
    expect(at(100).total).toBeGreaterThan(0.3);
    // 100,000 users need ten tasks.
    expect(at(100_000).taskCount).toBe(10);
  });
});
