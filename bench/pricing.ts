// AWS list prices, us-east-1 (N. Virginia), on-demand, first pricing tier, without free tier.
//
// Checked on 2026-11-26 against the pages cited next to each group (the official pricing pages
// render most numbers dynamically, so several values were confirmed through third-party pages that
// quote them; those are named too). Prices change: check the official pages before relying on a
// figure, and update PRICES_CHECKED_ON with the values.
export const PRICES_CHECKED_ON = '2026-11-26';
export const PRICES_REGION = 'us-east-1';

export interface PriceTable {
  dynamodb: { perMillionWriteRequestUnits: number; perMillionReadRequestUnits: number };
  kinesis: {
    onDemand: { perStreamHour: number; perGbIngested: number; perGbRetrieved: number };
    provisioned: { perShardHour: number; perMillionPutPayloadUnits: number };
    /** Enhanced fan-out (provisioned streams): per consumer-shard hour and per GB the consumers retrieve. */
    enhancedFanOut: { perConsumerShardHour: number; perGbRetrieved: number };
  };
  lambda: { perMillionRequests: number; perGbSecondArm64: number };
  apiGateway: { httpPerMillionRequests: number; websocketPerMillionMessages: number; websocketPerMillionConnectionMinutes: number };
  sqs: { standardPerMillionRequests: number };
  /** Fargate on Graviton (arm64), Linux: per vCPU-hour and per GB-hour of a task's size. */
  fargateArm64: { perVcpuHour: number; perGbHour: number };
  /** Application Load Balancer: per hour, and per load balancer capacity unit-hour. */
  alb: { perHour: number; perLcuHour: number };
}

export const PRICES: PriceTable = {
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand throughput halved on 2024-11-01;
  // $0.625 per million WRU and $0.125 per million RRU in us-east-1 since then, as quoted by
  // https://airbyte.com/data-engineering-resources/dynamodb-pricing).
  dynamodb: {
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
  },
  // https://aws.amazon.com/kinesis/data-streams/pricing/
  // On-demand (Standard): per stream hour, per GB ingested (each record rounded up to 1 KB), per GB
  // retrieved. Provisioned: per shard hour and per million PUT payload units (25 KB chunks of a
  // record). The page's stored text gave the billing units but not the numbers; the shard hour is
  // quoted by https://c3x.dev/resources/aws/aws_kinesis_stream, the other four are AWS's long-standing
  // us-east-1 rates and are the least verified values here: check them first. (AWS has since added
  // an "On-Demand Advantage" mode, not modelled.)
  kinesis: {
    onDemand: { perStreamHour: 0.04, perGbIngested: 0.08, perGbRetrieved: 0.04 },
    provisioned: { perShardHour: 0.015, perMillionPutPayloadUnits: 0.014 },
    // Same page, "Enhanced fan-out": each consumer is billed per shard of its stream per hour, and
    // per GB it retrieves (docs/deploy.md uses the same figures).
    enhancedFanOut: { perConsumerShardHour: 0.015, perGbRetrieved: 0.013 },
  },
  // https://aws.amazon.com/lambda/pricing/ (Arm/Graviton, first 7.5 billion GB-seconds a month;
  // duration billed per 1 ms; quoted by https://cloudchipr.com/blog/aws-lambda-pricing).
  lambda: {
    perMillionRequests: 0.2,
    perGbSecondArm64: 0.0000133334,
  },
  // https://aws.amazon.com/api-gateway/pricing/ (quoted by https://amnic.com/blogs/aws-api-gateway-pricing)
  // HTTP API: first 300 million requests a month (metered in 512 KB increments).
  // WebSocket API: first billion messages a month (metered in 32 KB increments), connection minutes.
  apiGateway: {
    httpPerMillionRequests: 1.0,
    websocketPerMillionMessages: 1.0,
    websocketPerMillionConnectionMinutes: 0.25,
  },
  // https://aws.amazon.com/sqs/pricing/ (standard queue, first 100 billion requests a month; each
  // 64 KB chunk of a payload is one request; quoted by https://cloudburn.io/blog/amazon-sqs-pricing).
  sqs: {
    standardPerMillionRequests: 0.4,
  },
  fargateArm64: { perVcpuHour: 0.03238, perGbHour: 0.00356 },
  alb: { perHour: 0.0225, perLcuHour: 0.008 },
};

/**
 * What one ALB capacity unit covers per hour (the highest of the dimensions is billed): new
 * connections per second, active connections (per minute), processed GB, rule evaluations per second.
 */
export const ALB_LCU = { newConnectionsPerSecond: 25, activeConnections: 3000, processedGbPerHour: 1, ruleEvaluationsPerSecond: 1000 } as const;

/** API Gateway WebSocket limits that shape the idle cost (API Gateway quotas page). */
export const WEBSOCKET_LIMITS = {
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
  idleTimeoutMinutes: 10,
  maxConnectionMinutes: 120,
} as const;

/** Hours in a billing month as AWS's pricing examples count them. */
export const HOURS_PER_MONTH = 730;
