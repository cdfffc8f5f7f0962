// One Kinesis event source mapping per declared topology, with the guarantees the core relies on:
// in order per partition key, partial batch responses, bisect on error, bounded retries, and a
// dead-letter queue per topology where poison records stay visible.
import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ModuleDecl, TopologyDecl } from '../core/module.ts';
import type { DepotStreams } from './depots.ts';
import type { ModuleFunctions } from './functions.ts';

/** SQS' maximum retention: the time an operator has to look at a poison record. */
const DLQ_RETENTION = Duration.days(14);

/**
 * Lambda's batching window has whole-second granularity; a declared sub-second window is rounded
 * up so that a topology that asked for batching still batches.
 */
export function batchingWindowSeconds(topology: Pick<TopologyDecl, 'batchingWindowMs'>): number {
  return Math.ceil(topology.batchingWindowMs / 1000);
}

export interface TopologiesProps {
  module: ModuleDecl;
  depots: DepotStreams;
  functions: ModuleFunctions;
  retain: boolean;
}

export class Topologies extends Construct {
  /** The dead-letter queue of each topology, by topology name. */
  readonly deadLetterQueues: ReadonlyMap<string, Queue>;

  constructor(scope: Construct, id: string, props: TopologiesProps) {
    super(scope, id);
    const queues = new Map<string, Queue>();
    for (const topology of props.module.topologies) {
      const queue = new Queue(this, `${topology.name}DeadLetters`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DLQ_RETENTION,
        removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      // Reading the stream (or the consumer) is granted with the function's own statements
      // (lib/stacks/grants.ts), which the local runtime enforces too; CDK's event sources would
      // add their own grant besides, so the mapping is declared directly. Its construct id is the
      // one KinesisEventSource gives, so a deployed standard mapping (and its position) stays.
      const source =
        topology.consumer === 'enhanced'
          ? { id: 'KinesisConsumerEventSource', construct: props.depots.consumer(topology.name), arn: props.depots.consumer(topology.name).streamConsumerArn }
          : { id: 'KinesisEventSource', construct: props.depots.stream(topology.depot), arn: props.depots.stream(topology.depot).streamArn };
      props.functions.fn(topology.function).addEventSourceMapping(`${source.id}:${Names.nodeUniqueId(source.construct.node)}`, {
        eventSourceArn: source.arn,
        startingPosition: StartingPosition[topology.startingPosition ?? 'TRIM_HORIZON'],
        batchSize: topology.batchSize,
        maxBatchingWindow: Duration.seconds(batchingWindowSeconds(topology)),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: topology.maxRetries,
        // Concurrent batches per shard; Lambda keeps each partition key's records in one, in order.
        parallelizationFactor: topology.parallelization ?? 1,
        onFailure: new SqsDlq(queue),
      });
      queues.set(topology.name, queue);
    }
    this.deadLetterQueues = queues;
  }
}
