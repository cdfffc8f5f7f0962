// One Kinesis stream per declared depot, named `<streamPrefix>-<depot>` so that handlers find it
// through lib/core/environment.ts (AXON_STREAM_PREFIX).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Stream, StreamConsumer, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { streamName, type DepotDecl, type TopologyDecl } from '../core/module.ts';

/** Kinesis' default retention, used when a depot does not declare one. */
const DEFAULT_RETENTION_HOURS = 24;

export interface DepotStreamsProps {
  depots: readonly DepotDecl[];
  streamPrefix: string;
  /** Keep the streams (the source of truth for replay) when the stack goes away. */
  retain: boolean;
  /** The module's topologies: each one reading with enhanced fan-out gets a consumer of its depot's stream. */
  topologies: readonly TopologyDecl[];
}

export class DepotStreams extends Construct {
  readonly streams: ReadonlyMap<string, Stream>;
  /** The enhanced fan-out consumer of each topology that has one, by topology name. */
  readonly consumers: ReadonlyMap<string, StreamConsumer>;

  constructor(scope: Construct, id: string, props: DepotStreamsProps) {
    super(scope, id);
    const streams = new Map<string, Stream>();
    for (const depot of props.depots) {
      streams.set(
        depot.name,
        new Stream(this, depot.name, {
          streamName: streamName(props.streamPrefix, depot.name),
          streamMode: StreamMode.PROVISIONED,
          shardCount: depot.shards,
          retentionPeriod: Duration.hours(depot.retentionHours ?? DEFAULT_RETENTION_HOURS),
          // The AWS-managed key (alias/aws/kinesis): producers and consumers need no KMS grant
          // (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
          encryption: StreamEncryption.MANAGED,
          removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        }),
      );
    }
    this.streams = streams;
    const consumers = new Map<string, StreamConsumer>();
    for (const topology of props.topologies) {
      if (topology.consumer !== 'enhanced') continue;
      // Named after the topology (unique in the module, so in the stream); it lives as long as its stream.
      consumers.set(topology.name, new StreamConsumer(this, `${topology.name}Consumer`, { stream: this.stream(topology.depot), streamConsumerName: topology.name }));
    }
    this.consumers = consumers;
  }

  /** The enhanced fan-out consumer of a topology; a missing one is a bug in the declaration or the stack. */
  consumer(topology: string): StreamConsumer {
    const consumer = this.consumers.get(topology);
    if (!consumer) throw new Error(`no enhanced fan-out consumer for topology "${topology}"`);
    return consumer;
  }

  /** The stream of a declared depot; a missing one is a bug in the declaration or the stack. */
  stream(depot: string): Stream {
    const stream = this.streams.get(depot);
    if (!stream) throw new Error(`no stream for depot "${depot}"`);
    return stream;
  }
}
