// The microbatch topology wrapper: the whole batch is folded into PState writes that are committed
// together with the shard checkpoint in one transaction. A redelivered batch finds the checkpoint
// past it and is skipped, so each record's effect lands exactly once. A batch that fails for a
// deterministic reason is committed record by record, so one bad update does not poison it.
import middy from '@middy/core';
import { logger } from '../log.ts';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { recordAckOutcome } from '../ack.ts';
import { documentClient } from '../aws-clients.ts';
import { tableName } from '../environment.ts';
import { internalPrefixes, MAX_TRANSACTION_ITEMS, type TableWrite } from '../table-writes.ts';
import { classifyFailure, deterministicRejection } from './failures.ts';
import { compareSequenceNumbers, decodeRecord, sequencePosition, shardIdOf, type DepotRecord, type PayloadParser } from './records.ts';
import type { KinesisTopologyHandler, TopologyContext } from './stream.ts';
import { backOff } from '../backoff.ts';

export interface FoldResult {
  /** PState writes of the whole batch; committed atomically with the checkpoint (≤ 99 items). */
  writes: TableWrite[];
  /** Runs after a successful commit (e.g. push to WebSockets); retried in-process, see below. */
  afterCommit?: () => Promise<void>;
}

/**
 * Folds a batch of records (in shard order, never empty) into writes. Folds must AGGREGATE: the
 * writes and the checkpoint share one TransactWriteItems (at most 100 items), and splitting them
 * into several transactions would lose the atomicity that makes a retried batch exactly-once.
 * A fold may run again for the same records if its commit did not happen; it must not have
 * effects of its own outside `writes` and `afterCommit`.
 */
export type Fold<TIn> = (records: DepotRecord<TIn>[], context: TopologyContext) => Promise<FoldResult>;

export interface MicrobatchTopologyOptions<TIn> {
  name: string;
  fold: Fold<TIn>;
  payload?: PayloadParser<TIn>;
  /** Attempts of `afterCommit` within the invocation. */
  afterCommitAttempts?: number;
}

export class TransactionTooLargeError extends Error {
  constructor(
    readonly topology: string,
    readonly items: number,
  ) {
    super(
      `microbatch topology "${topology}" folded a batch into ${items} items (writes + checkpoint); ` +
        `one transaction holds at most ${MAX_TRANSACTION_ITEMS}: the fold must aggregate its writes`,
    );
    this.name = 'TransactionTooLargeError';
  }
}

export function checkpointKey(topology: string, shardId: string): { pk: string; sk: string } {
  return { pk: `${internalPrefixes.checkpoint}#${topology}#${shardId}`, sk: 'checkpoint' };
}

/** The last sequence number committed for a shard, if any. */
export async function readCheckpoint(topology: string, shardId: string): Promise<string | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: checkpointKey(topology, shardId), ConsistentRead: true }),
  );
  return Item?.sequenceNumber as string | undefined;
}

const log = logger('axon-topology');

/** Another invocation moved the checkpoint between this one's read and its commit. */
class CheckpointMoved extends Error {
  override name = 'CheckpointMoved';
}

export function microbatchTopology<TIn>(options: MicrobatchTopologyOptions<TIn>): KinesisTopologyHandler {
  const { name, fold } = options;

  /** Fold `records` and commit their writes with the checkpoint moved to `last` (if it is below `first`). */
  const commitFold = async (records: DepotRecord<TIn>[], shardId: string, first: string, last: string, context: TopologyContext): Promise<void> => {
    const result: FoldResult = records.length > 0 ? await fold(records, context) : { writes: [] };
    const items = result.writes.length + 1;
    if (items > MAX_TRANSACTION_ITEMS) throw new TransactionTooLargeError(name, items);
    const checkpointWrite: TableWrite = {
      Put: {
        TableName: tableName(),
        Item: {
          ...checkpointKey(name, shardId),
          sequenceNumber: last,
          position: sequencePosition(last),
          committedAt: new Date().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #position < :first',
        ExpressionAttributeNames: { '#position': 'position' },
        ExpressionAttributeValues: { ':first': sequencePosition(first) },
      },
    };
    try {
      await documentClient().send(new TransactWriteCommand({ TransactItems: [...result.writes, checkpointWrite] }));
    } catch (e) {
      const reasons = e instanceof TransactionCanceledException ? e.CancellationReasons : undefined;
      if (reasons?.at(-1)?.Code === 'ConditionalCheckFailed') throw new CheckpointMoved();
      throw e;
    }
    if (result.afterCommit) await runAfterCommit(name, result.afterCommit, options.afterCommitAttempts ?? 3);
  };

  /**
   * A batch that cannot commit as a whole for a deterministic reason (failures.ts) is committed
   * record by record, each with the checkpoint moved over it: a record that still fails is
   * rejected (its appender told, the checkpoint moved over it), and the others of the batch apply.
   * One bad update never holds back, nor takes down, the rest of its batch.
   */
  const commitOneByOne = async (records: DepotRecord<TIn>[], shardId: string, last: string, context: TopologyContext): Promise<void> => {
    for (const record of records) {
      const seq = record.sequenceNumber;
      try {
        await commitFold([record], shardId, seq, seq, context);
      } catch (e) {
        // Transient (the checkpoint moved, throttling...): the batch is retried from the checkpoint.
        const error = deterministicRejection(e);
        if (!error) throw e;
        log.error('depot record cannot be applied; rejected, not retried', { topology: name, eventId: record.eventId, error: e as Error });
        if (record.requestId !== undefined) await recordAckOutcome(record.requestId, { ok: false, error }, name);
        await commitFold([], shardId, seq, seq, context);
      }
    }
    // Records after the last decoded one (undecodable, already rejected) are passed too.
    if (records.at(-1)?.sequenceNumber !== last) await commitFold([], shardId, last, last, context);
  };

  const base = async (event: KinesisStreamEvent, lambda: Context): Promise<KinesisStreamBatchResponse> => {
    const context: TopologyContext = { topology: name, lambda };
    if (event.Records.length === 0) return { batchItemFailures: [] };
    const shardId = shardIdOf(event.Records[0]!);
    if (event.Records.some((r) => shardIdOf(r) !== shardId)) {
      throw new Error(`microbatch topology "${name}" got records of several shards in one batch`);
    }
    const last = event.Records.at(-1)!.kinesis.sequenceNumber;

    // Retried only when another invocation moved the checkpoint between our read and our commit.
    for (let attempt = 0; ; attempt++) {
      const checkpoint = await readCheckpoint(name, shardId);
      if (checkpoint !== undefined && compareSequenceNumbers(checkpoint, last) >= 0) {
        log.info('batch already committed; skipped', { topology: name, shardId, checkpoint, last });
        return { batchItemFailures: [] };
      }
      const fresh =
        checkpoint === undefined
          ? event.Records
          : event.Records.filter((r) => compareSequenceNumbers(r.kinesis.sequenceNumber, checkpoint) > 0);
      const records: DepotRecord<TIn>[] = [];
      for (const source of fresh) {
        const decoded = decodeRecord<TIn>(source, options.payload);
        if (decoded.ok) {
          records.push(decoded.record);
          continue;
        }
        log.error('undecodable depot record rejected', { topology: name, eventId: source.eventID, error: decoded.error });
        if (decoded.requestId !== undefined) await recordAckOutcome(decoded.requestId, { ok: false, error: decoded.error }, name);
      }
      const first = fresh[0]!.kinesis.sequenceNumber;
      try {
        await commitFold(records, shardId, first, last, context);
      } catch (e) {
        if (e instanceof CheckpointMoved && attempt < 3) continue;
        if (records.length === 0 || classifyFailure(e) !== 'deterministic') throw e;
        log.warn('batch cannot be committed whole; committing its records one by one', { topology: name, shardId, records: records.length, error: e as Error });
        await commitOneByOne(records, shardId, last, context);
      }
      return { batchItemFailures: [] };
    }
  };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>().handler(base) as unknown as KinesisTopologyHandler;
}

/**
 * The commit stands whatever happens here, so a failing `afterCommit` must not fail the batch (a
 * retry would find the checkpoint past it and skip it anyway). It is retried with backoff inside
 * the invocation, then logged. A crash between commit and `afterCommit` loses it: its effects
 * (pushes) must be notifications that clients can catch up on from the committed state.
 */
async function runAfterCommit(topology: string, afterCommit: () => Promise<void>, attempts: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await afterCommit();
      return;
    } catch (e) {
      if (attempt >= attempts) {
        log.error('afterCommit failed after retries', { topology, error: e as Error });
        return;
      }
      await backOff(attempt, { baseMs: 50, maxMs: 5_000 });
    }
  }
}
