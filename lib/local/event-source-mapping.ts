// The local emulation of Lambda's Kinesis event source mapping: for every topology of the module,
// one poller per shard of its depot's stream invokes the topology's function with the event object
// Lambda would pass, with the error handling the CDK stack configures on AWS (bisect on function
// error, ReportBatchItemFailures, bounded retries, an on-failure destination) and a checkpoint per
// shard persisted in the table so that a restart resumes where it stopped.
import { DescribeStreamSummaryCommand, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { kinesisClient } from '../core/aws-clients.ts';
import { depotStreamName } from '../core/environment.ts';
import type { ModuleDecl, TopologyDecl } from '../core/module.ts';
import { onAppend } from './event-source-mapping/append-signal.ts';
import { accountOf } from '../core/topology/records.ts';
import { ShardReadBudget } from './event-source-mapping/read-budget.ts';
import { ShardPoller, STANDARD_POLL_INTERVAL_MS } from './event-source-mapping/shard-poller.ts';

export type InvokeTopology = (
  functionName: string,
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | void | unknown>;

export interface MappingHandle {
  readonly topology: string;
  /** (Re)start polling from the persisted checkpoints; no-op when running. */
  start(): void;
  /** Stop polling after the batch in flight; resolves when stopped. */
  stop(): Promise<void>;
  /** Resolves once every shard's poller has caught up with the records present when called and has no batch in flight (retries included). */
  idle(timeoutMs?: number): Promise<void>;
}

export interface EventSourceMappings {
  mappings: MappingHandle[];
  get(topology: string): MappingHandle;
  stop(): Promise<void>;
  idle(timeoutMs?: number): Promise<void>;
}

export interface EventSourceMappingOptions {
  module: ModuleDecl;
  invoke: InvokeTopology;
  /**
   * Pause after an empty GetRecords, per shard and topology (kinesis-mock answers at once, it never
   * long-polls). Each further empty poll doubles the pause up to `maxPollIntervalMs`, so idle
   * pollers cost kinesis-mock little CPU; an append made through this process' shared Kinesis client
   * (the local handlers' appends) and a call of `idle()` make the stream's pollers poll at once, so
   * the ack path does not wait for the slow poll. Records appended by other processes are seen
   * within `maxPollIntervalMs`. Defaults 50 ms and 1 s (Lambda, too, polls an idle shard about
   * once a second). Measured: each GetRecords costs kinesis-mock ~10 ms of CPU, so six pollers at a
   * fixed 50 ms kept a quarter of a core busy while idle; backed off, a few percent.
   */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  log?: (line: string) => void;
  /** First pause before retrying a failed batch (doubles per retry). Default 100 ms. */
  retryDelayMs?: number;
  /** Ceiling of every backoff. Default 5000 ms. */
  maxBackoffMs?: number;
  /** As the stack configures it on AWS; default true. */
  bisectBatchOnFunctionError?: boolean;
  /** As the stack configures it on AWS (FunctionResponseTypes: ReportBatchItemFailures); default true. */
  reportBatchItemFailures?: boolean;
  /** Only these topologies (default: all of the module's). */
  topologies?: readonly string[];
  /**
   * AWS's timing (`npm start -- --aws-timing`): standard consumers poll each shard once a second
   * whatever is appended, enhanced fan-out ones get records ~70 ms after they are written. Off,
   * every poller reads at once when this process appends (the fastest local loop). Either way the
   * shards' read budgets apply.
   */
  awsTiming?: boolean;
  /** Checks a topology's function may read what its mapping reads (lib/local/iam); throws if not. */
  authorize?: (topology: TopologyDecl) => void;
}

const defaultIdleTimeoutMs = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class TopologyMapping implements MappingHandle {
  constructor(
    readonly topology: string,
    readonly streamName: string,
    readonly pollers: readonly ShardPoller[],
  ) {}

  start(): void {
    for (const p of this.pollers) p.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
  }

  idle(timeoutMs = defaultIdleTimeoutMs): Promise<void> {
    return withTimeout(
      Promise.all(this.pollers.map((p) => p.whenCaughtUp())).then(() => undefined),
      timeoutMs,
      `topology ${this.topology} did not catch up`,
    );
  }
}

interface StreamInfo {
  name: string;
  arn: string;
  createdAt: string;
  shards: Shard[];
}

async function describeStream(name: string): Promise<StreamInfo> {
  const { StreamDescriptionSummary: summary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: name }));
  if (!summary?.StreamARN) throw new Error(`stream ${name} has no ARN`);
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesisClient().send(
      nextToken ? new ListShardsCommand({ NextToken: nextToken }) : new ListShardsCommand({ StreamName: name }),
    );
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return { name, arn: summary.StreamARN, createdAt: summary.StreamCreationTimestamp?.toISOString() ?? '', shards };
}

/**
 * Start one poller per shard for each topology of the module. The table and the streams must
 * exist. Shards are listed once, at start: resharding while running is not followed (the local
 * streams never reshard), and a closed shard's poller ends once it has drained it.
 */
export async function startEventSourceMappings(options: EventSourceMappingOptions): Promise<EventSourceMappings> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const awsRegion = await kinesisClient().config.region();
  const topologies = options.module.topologies.filter((t) => !options.topologies || options.topologies.includes(t.name));
  const streams = new Map<string, Promise<StreamInfo>>();
  const streamOf = (t: TopologyDecl) => {
    let info = streams.get(t.depot);
    if (!info) streams.set(t.depot, (info = describeStream(depotStreamName(t.depot))));
    return info;
  };
  // Each shard's standard consumers share one budget; each enhanced fan-out consumer has its own.
  const sharedBudgets = new Map<string, ShardReadBudget>();
  const budgetOf = (topology: TopologyDecl, stream: string, shard: string) => {
    if (topology.consumer === 'enhanced') return new ShardReadBudget(false);
    const key = `${stream}/${shard}`;
    let budget = sharedBudgets.get(key);
    if (!budget) sharedBudgets.set(key, (budget = new ShardReadBudget(true)));
    return budget;
  };
  const awsTiming = options.awsTiming ?? false;
  const mappings = await Promise.all(
    topologies.map(async (topology) => {
      const stream = await streamOf(topology);
      const standardCadence = awsTiming && topology.consumer !== 'enhanced';
      const invokeIdentityArn = `arn:aws:iam::${accountOf(stream.arn)}:role/${options.module.name}-${topology.function}`;
      const pollers = stream.shards.map(
        (shard) =>
          new ShardPoller({
            topology,
            streamName: stream.name,
            streamCreatedAt: stream.createdAt,
            source: { shardId: shard.ShardId ?? '', streamArn: stream.arn, region: awsRegion, invokeIdentityArn },
            invoke: (event) => options.invoke(topology.function, event),
            pollIntervalMs: standardCadence ? STANDARD_POLL_INTERVAL_MS : (options.pollIntervalMs ?? 50),
            maxPollIntervalMs: standardCadence ? STANDARD_POLL_INTERVAL_MS : Math.max(options.maxPollIntervalMs ?? 1_000, options.pollIntervalMs ?? 50),
            retryDelayMs: options.retryDelayMs ?? 100,
            maxBackoffMs: options.maxBackoffMs ?? 5_000,
            bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? true,
            reportBatchItemFailures: options.reportBatchItemFailures ?? true,
            log,
            budget: budgetOf(topology, stream.name, shard.ShardId ?? ''),
            awsTiming,
            authorize: options.authorize && (() => options.authorize!(topology)),
          }),
      );
      return new TopologyMapping(topology.name, stream.name, pollers);
    }),
  );
  const pollersOf = new Map<string, ShardPoller[]>();
  for (const m of mappings) pollersOf.set(m.streamName, [...(pollersOf.get(m.streamName) ?? []), ...m.pollers]);
  const stopListening = onAppend((stream) => pollersOf.get(stream)?.forEach((p) => p.nudge()));
  for (const m of mappings) m.start();
  const byName = new Map(mappings.map((m) => [m.topology, m]));
  return {
    mappings,
    get(topology) {
      const mapping = byName.get(topology);
      if (!mapping) throw new Error(`no event source mapping for topology "${topology}"`);
      return mapping;
    },
    async stop() {
      stopListening();
      await Promise.all(mappings.map((m) => m.stop()));
    },
    async idle(timeoutMs = defaultIdleTimeoutMs) {
      await Promise.all(mappings.map((m) => m.idle(timeoutMs)));
    },
  };
}
