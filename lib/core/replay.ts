// Replay: rebuild PStates from a depot. Every shard is read from TRIM_HORIZON, in order, and fed to
// a topology's own Lambda handler as the events its event source mapping would deliver, with
// AXON_TABLE pointing at a fresh table, so the rebuilt state can be compared with the live one.
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { kinesisClient } from './aws-clients.ts';
import { depotStreamName } from './environment.ts';
import { ensureTable } from './table.ts';
import { compareSequenceNumbers, invocationContext, kinesisEvent, type EventSource } from './topology/records.ts';

export type TopologyHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

/** The shards of a stream, parents before children (shard ids grow with creation). */
export async function listShards(streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = await kinesisClient().send(
      token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: streamName }),
    );
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  return shards.sort((a, b) => (a.ShardId! < b.ShardId! ? -1 : a.ShardId! > b.ShardId! ? 1 : 0));
}

export interface ShardPosition {
  /** Read records after this sequence number; from TRIM_HORIZON when absent. */
  after?: string;
}

/**
 * Read one shard in batches of at most `batchSize` records, until it is closed and drained or the
 * reader has caught up with its end (an open shard keeps growing; what arrives later is not read).
 */
export async function* readShard(
  streamName: string,
  shardId: string,
  batchSize: number,
  position: ShardPosition = {},
): AsyncGenerator<_Record[]> {
  const { ShardIterator } = await kinesisClient().send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ...(position.after
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position.after }
        : { ShardIteratorType: 'TRIM_HORIZON' }),
    }),
  );
  let iterator = ShardIterator;
  while (iterator) {
    const out = await kinesisClient().send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
    const records = out.Records ?? [];
    if (records.length > 0) yield records;
    iterator = out.NextShardIterator;
    if (records.length === 0 && (out.MillisBehindLatest ?? 0) === 0) return;
  }
}

/**
 * Invoke a topology handler the way an event source mapping does: on a partial batch failure,
 * re-deliver from the failing record; on a thrown error, re-deliver the batch. Gives up after
 * `maxRetries` retries without progress.
 */
export async function deliverBatch(
  handler: TopologyHandler,
  event: KinesisStreamEvent,
  functionName: string,
  maxRetries = 3,
): Promise<number> {
  let pending = event.Records;
  let invocations = 0;
  let failures = 0;
  while (pending.length > 0) {
    invocations++;
    let failedAt: string | undefined;
    try {
      const response = await handler({ Records: pending }, invocationContext(functionName));
      // As Lambda: the lowest reported record is where the retry starts.
      failedAt = response?.batchItemFailures.map((f) => f.itemIdentifier).sort(compareSequenceNumbers)[0];
    } catch (e) {
      if (++failures > maxRetries) throw new Error(`topology ${functionName} failed ${failures} times on a batch: ${(e as Error).message}`, { cause: e });
      continue;
    }
    if (failedAt === undefined) return invocations;
    const index = pending.findIndex((r) => r.kinesis.sequenceNumber === failedAt);
    if (index < 0) throw new Error(`topology ${functionName} reported unknown failed item ${failedAt}`);
    if (index > 0) failures = 0;
    else if (++failures > maxRetries) throw new Error(`topology ${functionName} keeps failing at record ${failedAt}`);
    pending = pending.slice(index);
  }
  return invocations;
}

export interface ReplayOptions {
  depot: string;
  /** A topology's Lambda handler (what `streamTopology` / `microbatchTopology` return). */
  handler: TopologyHandler;
  /** The table to rebuild into; created if absent. Should be fresh. */
  tableName: string;
  batchSize?: number;
  functionName?: string;
  maxRetries?: number;
}

export interface ReplayReport {
  shards: number;
  records: number;
  invocations: number;
}

/** Rebuild a topology's PStates from a depot into `tableName`. AXON_TABLE is restored afterwards. */
export async function replayDepot(options: ReplayOptions): Promise<ReplayReport> {
  const batchSize = options.batchSize ?? 100;
  const functionName = options.functionName ?? `replay-${options.depot}`;
  await ensureTable(options.tableName);
  const streamName = depotStreamName(options.depot);
  const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const streamArn = StreamDescriptionSummary!.StreamARN!;
  const shards = await listShards(streamName);
  const report: ReplayReport = { shards: shards.length, records: 0, invocations: 0 };

  const previousTable = process.env.AXON_TABLE;
  process.env.AXON_TABLE = options.tableName;
  try {
    // Shards one after another: parents are drained before their children, so per-key order holds.
    for (const shard of shards) {
      const source: EventSource = { shardId: shard.ShardId!, streamArn };
      for await (const records of readShard(streamName, shard.ShardId!, batchSize)) {
        report.records += records.length;
        report.invocations += await deliverBatch(options.handler, kinesisEvent(records, source), functionName, options.maxRetries);
      }
    }
  } finally {
    if (previousTable === undefined) delete process.env.AXON_TABLE;
    else process.env.AXON_TABLE = previousTable;
  }
  return report;
}
