// Delivering one batch of a lane with Lambda's error handling for Kinesis: retry a failed batch,
// BisectBatchOnFunctionError, ReportBatchItemFailures (checkpoint before the lowest reported record,
// retry from there), bounded retries, then the on-failure destination (the local dead-letter store).
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { TopologyDecl } from '../../core/module.ts';
import { kinesisEvent, type EventSource } from '../../core/topology/records.ts';
import { putDeadLetter } from '../dead-letters.ts';
import { outcomeOfError, outcomeOfResponse, type BatchOutcome } from './batch-outcome.ts';
import { pause, type Run } from './run.ts';

export interface DeliveryContext {
  run: Run;
  topology: TopologyDecl;
  source: EventSource;
  /** `<topology>/<shard>`, for the log. */
  name: string;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  bisect: boolean;
  reportBatchItemFailures: boolean;
  retryDelayMs: number;
  backoff: (failures: number, base?: number) => number;
  /** Retries an engine call until it succeeds; undefined when stopped first. */
  persistently: <T>(what: string, call: () => Promise<T>) => Promise<{ value: T } | undefined>;
  log: (line: string) => void;
}

interface PendingBatch {
  records: KinesisRecord[];
  /** Failed invocations of exactly these records; bisected halves start at zero. */
  failures: number;
}

const seq = (r: KinesisRecord) => r.SequenceNumber ?? '';

async function invoke(ctx: DeliveryContext, records: KinesisRecord[]): Promise<BatchOutcome> {
  try {
    const response = await ctx.invoke(kinesisEvent(records, ctx.source));
    if (!ctx.reportBatchItemFailures) return { kind: 'success' };
    return outcomeOfResponse(response, records.map(seq));
  } catch (e) {
    return outcomeOfError(e);
  }
}

/**
 * Deliver `records` until each one succeeded or went to the dead-letter store; `done` is told of
 * them as they are (it persists the checkpoint: false means stopped). False when stopped first:
 * what is not done is delivered again after a restart.
 */
export async function deliverBatch(
  ctx: DeliveryContext,
  records: KinesisRecord[],
  done: (records: KinesisRecord[]) => Promise<boolean>,
): Promise<boolean> {
  const { topology, source, run } = ctx;
  const queue: PendingBatch[] = [{ records, failures: 0 }];
  while (queue.length) {
    const batch = queue[0]!;
    const outcome = await invoke(ctx, batch.records);
    if (outcome.kind === 'success') {
      if (!(await done(batch.records))) return false;
      queue.shift();
      continue;
    }
    if (run.stopped) return false;
    const range = `${seq(batch.records[0]!)}..${seq(batch.records[batch.records.length - 1]!)}`;
    if (outcome.kind === 'partial' && outcome.firstFailed > 0) {
      // Lambda checkpoints just before the lowest reported record and retries from there only.
      if (!(await done(batch.records.slice(0, outcome.firstFailed)))) return false;
      batch.records = batch.records.slice(outcome.firstFailed);
      batch.failures = 0;
      ctx.log(`[esm ${ctx.name}] partial failure: ${outcome.error}; retrying the ${batch.records.length} records from there`);
      continue;
    }
    if (outcome.kind === 'failed' && ctx.bisect && batch.records.length > 1) {
      // BisectBatchOnFunctionError: split and retry each half; a split does not use a retry.
      const half = Math.ceil(batch.records.length / 2);
      queue.splice(0, 1, { records: batch.records.slice(0, half), failures: 0 }, { records: batch.records.slice(half), failures: 0 });
      ctx.log(`[esm ${ctx.name}] batch ${range} (${batch.records.length} records) failed, bisecting: ${outcome.error}`);
      continue;
    }
    batch.failures++;
    if (batch.failures > topology.maxRetries) {
      ctx.log(`[esm ${ctx.name}] batch ${range} failed ${batch.failures}x, sending it to the dead-letter store: ${outcome.error}`);
      const stored = await ctx.persistently('storing a dead letter', () =>
        putDeadLetter({
          topology: topology.name,
          functionName: topology.function,
          streamArn: source.streamArn,
          shardId: source.shardId,
          startSequenceNumber: seq(batch.records[0]!),
          endSequenceNumber: seq(batch.records[batch.records.length - 1]!),
          batchSize: batch.records.length,
          records: kinesisEvent(batch.records, source).Records.map(({ kinesis }) => ({
            sequenceNumber: kinesis.sequenceNumber,
            partitionKey: kinesis.partitionKey,
            data: kinesis.data,
            approximateArrivalTimestamp: kinesis.approximateArrivalTimestamp,
          })),
          attempts: batch.failures,
          condition: 'RetryAttemptsExhausted',
          error: outcome.error,
        }),
      );
      if (!stored || !(await done(batch.records))) return false;
      queue.shift();
      continue;
    }
    ctx.log(`[esm ${ctx.name}] batch ${range} failed (${batch.failures}x), retrying: ${outcome.error}`);
    await pause(run, ctx.backoff(batch.failures, ctx.retryDelayMs));
    if (run.stopped) return false;
  }
  return true;
}
