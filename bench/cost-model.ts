// The AWS cost model: pure functions from measured usage (request counts, capacity units, payload
// units, Lambda GB-seconds) and the dated list prices to dollars. Variable costs only: per-stream
// and per-shard hours are fixed monthly costs (see fixedMonthlyKinesisCost), free tiers are ignored.
import type { ModuleDecl } from '../lib/core/module.ts';
import { LOCAL_MAPPING_SERVICE, type OperationCount } from './accounting.ts';

/** Service and operation names under which the bench runner records Lambda and API Gateway usage. */
export const LAMBDA_SERVICE = 'Lambda';
export const API_GATEWAY_SERVICE = 'ApiGateway';
export const HTTP_API_REQUEST = 'HTTP API request';
export const WEBSOCKET_MESSAGE = 'WebSocket message';
import { ALB_LCU, HOURS_PER_MONTH, PRICES, WEBSOCKET_LIMITS, type PriceTable } from './pricing.ts';

/** Billed usage of something (one message, one poll, one connection…). */
export interface Usage {
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  kinesisRecords: number;
  kinesisPutPayloadUnits: number;
  kinesisBytesIn: number;
  kinesisBytesOut: number;
  /** Bytes enhanced fan-out consumers retrieve (each reads every record of its depot once). */
  enhancedFanOutBytes: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  httpRequests: number;
  websocketMessages: number;
  websocketConnectionMinutes: number;
  sqsRequests: number;
}

export const NO_USAGE: Readonly<Usage> = Object.freeze({
  dynamoReadUnits: 0, dynamoWriteUnits: 0, kinesisRecords: 0, kinesisPutPayloadUnits: 0, kinesisBytesIn: 0,
  kinesisBytesOut: 0, enhancedFanOutBytes: 0, lambdaInvocations: 0, lambdaGbSeconds: 0, httpRequests: 0, websocketMessages: 0,
  websocketConnectionMinutes: 0, sqsRequests: 0,
});

export function usage(partial: Partial<Usage> = {}): Usage {
  return { ...NO_USAGE, ...partial };
}

/** a + factor × b, field by field. */
export function addUsage(a: Usage, b: Usage, factor = 1): Usage {
  const sum = { ...a };
  for (const key of Object.keys(NO_USAGE) as (keyof Usage)[]) sum[key] += factor * b[key];
  return sum;
}

export function scaleUsage(a: Usage, factor: number): Usage {
  return addUsage(NO_USAGE, a, factor);
}

export type KinesisMode = 'on-demand' | 'provisioned';

export interface CostOptions {
  prices?: PriceTable;
  kinesisMode?: KinesisMode;
}

/** Dollars per service. */
export interface Cost {
  dynamodb: number;
  kinesis: number;
  lambda: number;
  apiGateway: number;
  sqs: number;
  total: number;
}

const MILLION = 1_000_000;
const GB = 1024 ** 3;

/** GB-seconds of one invocation: duration rounded up to the millisecond × configured memory. */
export function lambdaGbSeconds(durationMs: number, memoryMb: number): number {
  return (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
}

export function usageCost(u: Usage, options: CostOptions = {}): Cost {
  const p = options.prices ?? PRICES;
  const dynamodb =
    (u.dynamoReadUnits / MILLION) * p.dynamodb.perMillionReadRequestUnits +
    (u.dynamoWriteUnits / MILLION) * p.dynamodb.perMillionWriteRequestUnits;
  const kinesis =
    ((options.kinesisMode ?? 'on-demand') === 'on-demand'
      ? (u.kinesisBytesIn / GB) * p.kinesis.onDemand.perGbIngested + (u.kinesisBytesOut / GB) * p.kinesis.onDemand.perGbRetrieved
      : (u.kinesisPutPayloadUnits / MILLION) * p.kinesis.provisioned.perMillionPutPayloadUnits) +
    (u.enhancedFanOutBytes / GB) * p.kinesis.enhancedFanOut.perGbRetrieved;
  const lambda = (u.lambdaInvocations / MILLION) * p.lambda.perMillionRequests + u.lambdaGbSeconds * p.lambda.perGbSecondArm64;
  const apiGateway =
    (u.httpRequests / MILLION) * p.apiGateway.httpPerMillionRequests +
    (u.websocketMessages / MILLION) * p.apiGateway.websocketPerMillionMessages +
    (u.websocketConnectionMinutes / MILLION) * p.apiGateway.websocketPerMillionConnectionMinutes;
  const sqs = (u.sqsRequests / MILLION) * p.sqs.standardPerMillionRequests;
  return { dynamodb, kinesis, lambda, apiGateway, sqs, total: dynamodb + kinesis + lambda + apiGateway + sqs };
}

/** Fixed Kinesis cost of a month: stream hours (on-demand) or shard hours (provisioned). */
export function fixedMonthlyKinesisCost(streamsOrShards: number, mode: KinesisMode, prices: PriceTable = PRICES): number {
  const hourly = mode === 'on-demand' ? prices.kinesis.onDemand.perStreamHour : prices.kinesis.provisioned.perShardHour;
  return streamsOrShards * hourly * HOURS_PER_MONTH;
}

/** Enhanced fan-out consumer-shards of a module: each enhanced topology times its depot's shards. */
export function enhancedConsumerShards(module: Pick<ModuleDecl, 'depots' | 'topologies'>): number {
  const shards = new Map(module.depots.map((d) => [d.name, d.shards]));
  return module.topologies.filter((t) => t.consumer === 'enhanced').reduce((n, t) => n + (shards.get(t.depot) ?? 0), 0);
}

/** Fixed cost of a month of enhanced fan-out: consumer-shard hours. */
export function fixedMonthlyConsumerCost(consumerShards: number, prices: PriceTable = PRICES): number {
  return consumerShards * prices.kinesis.enhancedFanOut.perConsumerShardHour * HOURS_PER_MONTH;
}

/**
 * The usage with what enhanced fan-out consumers retrieve: every byte appended to a depot is read
 * once by each of its enhanced consumers (`consumersPerRecord`; Axon's rooms depot has one).
 */
export function withEnhancedFanOut(u: Usage, consumersPerRecord: number): Usage {
  return { ...u, enhancedFanOutBytes: u.kinesisBytesIn * consumersPerRecord };
}

/**
 * Usage of sending one message, split by what it scales with: a fixed part (the put, the event
 * write…), a part per room member (e.g. timeline fan-out items) and a part per online member
 * (e.g. one push and one wake-up per connected device). Each part comes from measurement.
 */
export interface MessageProfile {
  perMessage: Usage;
  perMember: Usage;
  perOnlineMember: Usage;
}

export function messageUsage(profile: MessageProfile, members: number, online: number): Usage {
  if (online > members) throw new RangeError(`online (${online}) exceeds members (${members})`);
  return addUsage(addUsage(profile.perMessage, profile.perMember, members), profile.perOnlineMember, online);
}

/** Dollars per million messages sent into a room of `members` members with `online` connected. */
export function dollarsPerMillionMessages(profile: MessageProfile, members: number, online: number, options: CostOptions = {}): Cost {
  return usageCost(scaleUsage(messageUsage(profile, members, online), MILLION), options);
}

export interface IdleWebSocketOptions extends CostOptions {
  /** Usage of one connect + disconnect cycle ($connect/$disconnect Lambdas, connection item writes). */
  perConnection: Usage;
  /** Usage of one keep-alive message (at least the message itself). */
  perKeepalive?: Usage;
  /** The client's keep-alive interval; must be below API Gateway's 10-minute idle timeout. */
  keepaliveIntervalMinutes?: number;
  /** API Gateway closes a connection after this; the client reconnects. */
  maxConnectionMinutes?: number;
}

/** Usage of one idle user holding a WebSocket open for a whole month. */
export function idleWebSocketUsagePerMonth(options: IdleWebSocketOptions): Usage {
  const minutes = HOURS_PER_MONTH * 60;
  const keepaliveInterval = options.keepaliveIntervalMinutes ?? WEBSOCKET_LIMITS.idleTimeoutMinutes - 1;
  if (keepaliveInterval >= WEBSOCKET_LIMITS.idleTimeoutMinutes) {
    throw new RangeError(`a keep-alive every ${keepaliveInterval} min does not beat the ${WEBSOCKET_LIMITS.idleTimeoutMinutes}-minute idle timeout`);
  }
  const connections = Math.ceil(minutes / (options.maxConnectionMinutes ?? WEBSOCKET_LIMITS.maxConnectionMinutes));
  const keepalives = Math.floor(minutes / keepaliveInterval);
  let u = usage({ websocketConnectionMinutes: minutes });
  u = addUsage(u, options.perConnection, connections);
  u = addUsage(u, options.perKeepalive ?? usage({ websocketMessages: 1 }), keepalives);
  return u;
}

export function idleWebSocketUserPerMonth(options: IdleWebSocketOptions): Cost {
  return usageCost(idleWebSocketUsagePerMonth(options), options);
}

export interface IdleLongPollOptions extends CostOptions {
  /** Usage of one /sync long-poll that times out empty (HTTP request, Lambda time, reads). */
  perPoll: Usage;
  /** The `timeout` the client passes to /sync. */
  pollTimeoutSeconds: number;
}

/** Usage of one idle user long-polling /sync for a whole month. */
export function idleLongPollUsagePerMonth(options: IdleLongPollOptions): Usage {
  if (options.pollTimeoutSeconds <= 0) throw new RangeError('pollTimeoutSeconds must be positive');
  const polls = (HOURS_PER_MONTH * 3600) / options.pollTimeoutSeconds;
  return scaleUsage(options.perPoll, polls);
}

export function idleLongPollUserPerMonth(options: IdleLongPollOptions): Cost {
  return usageCost(idleLongPollUsagePerMonth(options), options);
}

export interface SyncServiceIdleOptions extends CostOptions {
  /** Usage of one /sync long-poll through the sync service that times out empty (HTTP API request, reads). */
  perPoll: Usage;
  pollTimeoutSeconds: number;
  /** Idle long-polling users the deployment serves. */
  users: number;
  /** Waiting polls one task holds (measured: `npm run bench -- longpoll-capacity`). */
  pollsPerTask: number;
  /** The service's floor of tasks (its scaling's minTasks). */
  minTasks: number;
  task: { vcpu: number; memoryGb: number };
  /** Bytes through the load balancer per poll, request and response (an idle poll's are small). */
  bytesPerPoll?: number;
}

export interface SyncServiceIdleCost {
  /** Per user and month. */
  total: number;
  /** Per user and month: the polls' own usage (HTTP API requests, DynamoDB reads). */
  perPolls: number;
  /** Per user and month: the tasks' share. */
  tasks: number;
  /** Per user and month: the load balancer's share. */
  loadBalancer: number;
  taskCount: number;
  loadBalancerCapacityUnits: number;
}

/**
 * An idle long-polling user's month with /sync on the sync service (`-c syncService=fargate`): the
 * polls' measured usage, plus the users' share of the tasks that hold their polls and of the load
 * balancer in front of them. The balancer is priced as if each poll opened a new connection (API
 * Gateway's VPC link does not document connection reuse), which is its dominant dimension here.
 */
export function idleSyncServiceUserPerMonth(options: SyncServiceIdleOptions): SyncServiceIdleCost {
  const prices = options.prices ?? PRICES;
  const users = Math.max(1, options.users);
  const perPolls = idleLongPollUserPerMonth(options).total;
  const taskCount = Math.max(options.minTasks, Math.ceil(users / options.pollsPerTask));
  const taskHour = options.task.vcpu * prices.fargateArm64.perVcpuHour + options.task.memoryGb * prices.fargateArm64.perGbHour;
  const pollsPerSecond = users / options.pollTimeoutSeconds;
  const gbPerHour = (pollsPerSecond * 3600 * (options.bytesPerPoll ?? 2048)) / 1024 ** 3;
  const lcu = Math.max(
    pollsPerSecond / ALB_LCU.newConnectionsPerSecond,
    users / ALB_LCU.activeConnections,
    gbPerHour / ALB_LCU.processedGbPerHour,
    pollsPerSecond / ALB_LCU.ruleEvaluationsPerSecond,
  );
  const tasks = (taskCount * taskHour * HOURS_PER_MONTH) / users;
  const loadBalancer = ((prices.alb.perHour + lcu * prices.alb.perLcuHour) * HOURS_PER_MONTH) / users;
  return { total: perPolls + tasks + loadBalancer, perPolls, tasks, loadBalancer, taskCount, loadBalancerCapacityUnits: lcu };
}

export interface AccountingOptions {
  /**
   * DynamoDB Local reports one capacity unit per item of a transaction where AWS bills two (and
   * reports two). Set this for counts taken against DynamoDB Local to price them as AWS would.
   */
  transactionalUnitsReportedOnce?: boolean;
}

const transactionalOperations = new Set(['TransactWriteItems', 'TransactGetItems', 'ExecuteTransaction']);

/** Usage recorded by the request accounting (SDK calls and events recorded by hand). */
export function usageFromAccounting(operations: readonly OperationCount[], options: AccountingOptions = {}): Usage {
  let u = usage();
  for (const op of operations) {
    if (op.service === LOCAL_MAPPING_SERVICE) continue;
    const capacityFactor = options.transactionalUnitsReportedOnce && op.service === 'DynamoDB' && transactionalOperations.has(op.operation) ? 2 : 1;
    u = addUsage(u, usage({
      dynamoReadUnits: op.readCapacityUnits * capacityFactor,
      dynamoWriteUnits: op.writeCapacityUnits * capacityFactor,
      kinesisRecords: op.kinesisRecords,
      kinesisPutPayloadUnits: op.putPayloadUnits,
      kinesisBytesIn: op.kinesisBytesIn,
      kinesisBytesOut: op.kinesisBytesOut,
      // Pushes (PostToConnection) and client frames (recorded by the runner) are both billed messages.
      websocketMessages:
        (op.service === 'ApiGatewayManagementApi' && op.operation === 'PostToConnection') || (op.service === API_GATEWAY_SERVICE && op.operation === WEBSOCKET_MESSAGE)
          ? op.requests
          : 0,
      sqsRequests: op.service === 'SQS' ? op.requests : 0,
      lambdaInvocations: op.service === LAMBDA_SERVICE ? op.requests : 0,
      lambdaGbSeconds: op.service === LAMBDA_SERVICE ? op.gbSeconds : 0,
      httpRequests: op.service === API_GATEWAY_SERVICE && op.operation === HTTP_API_REQUEST ? op.requests : 0,
    }));
  }
  return u;
}
