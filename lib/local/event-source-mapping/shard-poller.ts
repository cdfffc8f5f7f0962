// One poller per shard per topology: reads the shard in order, gathers batches the way Lambda's
// Kinesis event source mapping does (batch size, batching window), invokes the function and
// applies Lambda's error handling (retries, bisect on function error, partial batch responses,
// bounded retries then the on-failure destination) before it moves the persisted checkpoint.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { kinesisClient } from '../../core/aws-clients.ts';
import type { TopologyDecl } from '../../core/module.ts';
import { putDeadLetter } from '../dead-letters.ts';
import { readCheckpoint, writeCheckpoint } from '../shard-checkpoints.ts';
import { errorMessage, outcomeOfError, outcomeOfResponse, type BatchOutcome } from './batch-outcome.ts';
import { kinesisEvent, type EventSource } from '../../core/topology/records.ts';

export interface ShardPollerOptions {
  topology: TopologyDecl;
  streamName: string;
  /** The stream instance; a checkpoint written for another instance is ignored. */
  streamCreatedAt: string;
  source: EventSource;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  /**
   * Pause after a GetRecords that returned nothing (kinesis-mock answers at once, never long-polls);
   * it doubles with each further empty poll up to `maxPollIntervalMs`, and is cut short by `nudge()`.
   */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** First pause before retrying a failed batch; doubles per retry up to `maxBackoffMs`. */
  retryDelayMs: number;
  /** Ceiling of every backoff (failed batches, engines not answering). */
  maxBackoffMs: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  log: (line: string) => void;
}

interface PendingBatch {
  records: KinesisRecord[];
  /** Failed invocations of exactly these records; bisected halves start at zero. */
  failures: number;
}

/** One run of the poller, from start() to stop(); a restart waits for the previous run to end. */
interface Run {
  stopped: boolean;
  /** Cuts the run's current pause short. */
  wake?: () => void;
  /** Set while the run waits for new records: ends that wait (never a backoff). */
  nudge?: () => void;
}

interface CaughtUpWaiter {
  /** The first poll that started after the wait began. */
  afterPoll: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const seq = (r: KinesisRecord) => r.SequenceNumber ?? '';

/** GetShardIterator's answer to a sequence number the shard does not hold (kinesis-mock, Kinesis). */
function isUnknownSequenceNumber(e: unknown): boolean {
  const { name, message } = e as { name?: string; message?: string };
  return (name === 'ResourceNotFoundException' || name === 'InvalidArgumentException') && /sequence ?number/i.test(message ?? '');
}

export class ShardPoller {
  private current: Run | undefined;
  private loop: Promise<void> | undefined;
  private pollsStarted = 0;
  /** The shard is closed and every record of it is done with. */
  private finished = false;
  private waiters: CaughtUpWaiter[] = [];
  private readonly name: string;

  constructor(private readonly options: ShardPollerOptions) {
    this.name = `${options.topology.name}/${options.source.shardId}`;
  }

  get shardId(): string {
    return this.options.source.shardId;
  }

  private get running(): boolean {
    return !!this.current && !this.current.stopped;
  }

  start(): void {
    if (this.running) return;
    const run: Run = { stopped: false };
    this.current = run;
    this.finished = false;
    const previous = this.loop;
    this.loop = (async () => {
      await previous;
      if (run.stopped) return;
      try {
        await this.run(run);
      } catch (e) {
        this.options.log(`[esm ${this.name}] poller failed: ${errorMessage(e)}`);
      } finally {
        run.stopped = true;
        if (!this.finished) this.rejectWaiters('stopped');
      }
    })();
  }

  async stop(): Promise<void> {
    if (this.current) {
      this.current.stopped = true;
      this.current.wake?.();
    }
    this.rejectWaiters('stopped');
    await this.loop;
  }

  /** Poll now if waiting for new records (something was appended). */
  nudge(): void {
    this.current?.nudge?.();
  }

  /** Resolves after a poll that started now or later found nothing new and nothing pending. */
  whenCaughtUp(): Promise<void> {
    if (this.finished) return Promise.resolve();
    if (!this.running) return Promise.reject(new Error(`event source mapping ${this.name} is stopped`));
    const caughtUp = new Promise<void>((resolve, reject) => this.waiters.push({ afterPoll: this.pollsStarted + 1, resolve, reject }));
    this.nudge();
    return caughtUp;
  }

  private caughtUp(poll: number): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.afterPoll > poll) return true;
      w.resolve();
      return false;
    });
  }

  private rejectWaiters(why: string): void {
    for (const w of this.waiters.splice(0)) w.reject(new Error(`event source mapping ${this.name} ${why}`));
  }

  /** A pause that `stop()` cuts short. */
  private sleep(run: Run, ms: number, waitingForRecords = false): Promise<void> {
    return new Promise((resolve) => {
      if (run.stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        if (run.nudge === done) run.nudge = undefined;
        resolve();
      }
      run.wake = done;
      if (waitingForRecords) run.nudge = done;
    });
  }

  private backoff(failures: number, base = 100): number {
    return Math.min(this.options.maxBackoffMs, base * 2 ** Math.max(0, failures - 1));
  }

  /** Retry an engine call until it succeeds; `undefined` when stopped first. */
  private async persistently<T>(run: Run, what: string, call: () => Promise<T>): Promise<{ value: T } | undefined> {
    for (let failures = 1; ; failures++) {
      try {
        return { value: await call() };
      } catch (e) {
        if (failures === 1 || failures % 20 === 0) {
          this.options.log(`[esm ${this.name}] ${what} failed (${failures}x), retrying: ${errorMessage(e)}`);
        }
        if (run.stopped) return undefined;
        await this.sleep(run, this.backoff(failures));
        if (run.stopped) return undefined;
      }
    }
  }

  private async run(run: Run): Promise<void> {
    const { topology, source, streamName } = this.options;
    const stored = await this.persistently(run, 'reading the checkpoint', () => readCheckpoint(topology.name, source.shardId));
    if (!stored) return;
    // The last record read (buffered or done with): the iterator is re-acquired after it.
    let lastRead: string | undefined;
    let lastReadArrival: number | undefined;
    let resumeAt: Date | undefined;
    if (stored.value) {
      if (stored.value.streamArn === source.streamArn && stored.value.streamCreatedAt === this.options.streamCreatedAt) {
        lastRead = stored.value.sequenceNumber;
        lastReadArrival = stored.value.arrivedAt;
      } else {
        this.options.log(`[esm ${this.name}] ignoring the checkpoint of an earlier stream named ${streamName}`);
      }
    }
    // With LATEST and no checkpoint, an iterator lost to an error is re-acquired at the start time,
    // so records appended in between are not skipped.
    const startedAt = new Date();
    let startAtLatest = !lastRead && (topology.startingPosition ?? 'TRIM_HORIZON') === 'LATEST';
    let iterator: string | undefined;
    let closed = false;
    let buffer: KinesisRecord[] = [];
    let firstBufferedAt = 0;
    let readFailures = 0;
    let emptyPolls = 0;

    while (!run.stopped) {
      if (!closed && buffer.length < topology.batchSize) {
        try {
          if (!iterator) {
            const position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> =
              lastRead
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastRead }
                : resumeAt
                  ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: resumeAt }
                  : startAtLatest
                    ? { ShardIteratorType: 'LATEST' }
                    : topology.startingPosition === 'LATEST'
                      ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: startedAt }
                      : { ShardIteratorType: 'TRIM_HORIZON' };
            const { ShardIterator } = await kinesisClient().send(
              new GetShardIteratorCommand({ StreamName: streamName, ShardId: source.shardId, ...position }),
            );
            startAtLatest = false;
            iterator = ShardIterator;
            if (!iterator) throw new Error('GetShardIterator returned no iterator');
          }
          const poll = ++this.pollsStarted;
          const page = await kinesisClient().send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: topology.batchSize - buffer.length }),
          );
          if (readFailures) this.options.log(`[esm ${this.name}] reading the shard again`);
          readFailures = 0;
          iterator = page.NextShardIterator;
          if (!iterator) closed = true;
          const records = page.Records ?? [];
          emptyPolls = records.length ? 0 : emptyPolls + 1;
          if (records.length) {
            if (!buffer.length) firstBufferedAt = Date.now();
            buffer.push(...records);
            lastRead = seq(records[records.length - 1]!);
            lastReadArrival = records[records.length - 1]!.ApproximateArrivalTimestamp?.getTime();
          } else if (!buffer.length && !page.MillisBehindLatest) {
            this.caughtUp(poll);
          }
        } catch (e) {
          if (lastRead && isUnknownSequenceNumber(e)) {
            // The stream lost records the checkpoint had seen (kinesis-mock persists on an
            // interval, so a killed engine can forget its last writes). Resume at the arrival
            // time of the last record read: records appended since are not skipped, and a few
            // around the checkpoint may be delivered again, which at-least-once allows.
            this.options.log(
              `[esm ${this.name}] the stream no longer has record ${lastRead}; resuming at ${lastReadArrival ? new Date(lastReadArrival).toISOString() : 'the trim horizon'}`,
            );
            resumeAt = lastReadArrival ? new Date(lastReadArrival) : new Date(0);
            lastRead = undefined;
            continue;
          }
          // Unavailable engine, expired or invalid iterator: back off and re-acquire the iterator
          // after the last record read; the records already buffered stay pending.
          iterator = undefined;
          readFailures++;
          if (readFailures === 1 || readFailures % 20 === 0) {
            this.options.log(`[esm ${this.name}] reading the shard failed (${readFailures}x): ${errorMessage(e)}`);
          }
          await this.sleep(run, this.backoff(readFailures));
          continue;
        }
      }

      const windowLeft = topology.batchingWindowMs - (Date.now() - firstBufferedAt);
      if (buffer.length && (buffer.length >= topology.batchSize || closed || windowLeft <= 0)) {
        if (!(await this.deliver(run, buffer))) return;
        buffer = [];
        continue;
      }
      if (closed && !buffer.length) {
        this.options.log(`[esm ${this.name}] shard is closed and fully processed`);
        this.finished = true;
        for (const w of this.waiters.splice(0)) w.resolve();
        return;
      }
      // Gathering for the batching window, or idle: either way, do not spin.
      const { pollIntervalMs, maxPollIntervalMs } = this.options;
      const idleFor = Math.min(maxPollIntervalMs, pollIntervalMs * 2 ** Math.min(16, Math.max(0, emptyPolls - 1)));
      await this.sleep(run, buffer.length ? Math.min(pollIntervalMs, windowLeft) : idleFor, true);
    }
  }

  private async invoke(records: KinesisRecord[]): Promise<BatchOutcome> {
    try {
      const response = await this.options.invoke(kinesisEvent(records, this.options.source));
      if (!this.options.reportBatchItemFailures) return { kind: 'success' };
      return outcomeOfResponse(response, records.map(seq));
    } catch (e) {
      return outcomeOfError(e);
    }
  }

  private async checkpoint(run: Run, record: KinesisRecord): Promise<boolean> {
    const { topology, source, streamCreatedAt } = this.options;
    const written = await this.persistently(run, 'writing the checkpoint', () =>
      writeCheckpoint({
        topology: topology.name,
        shardId: source.shardId,
        sequenceNumber: seq(record),
        arrivedAt: record.ApproximateArrivalTimestamp?.getTime(),
        streamArn: source.streamArn,
        streamCreatedAt,
      }),
    );
    return written !== undefined;
  }

  /**
   * Deliver records until each one succeeded or went to the dead-letter store, checkpointing as
   * it goes. False when stopped first: what is not checkpointed is delivered again after a restart.
   */
  private async deliver(run: Run, records: KinesisRecord[]): Promise<boolean> {
    const { topology, bisectBatchOnFunctionError, source } = this.options;
    const queue: PendingBatch[] = [{ records, failures: 0 }];
    while (queue.length) {
      const batch = queue[0]!;
      const outcome = await this.invoke(batch.records);
      if (outcome.kind === 'success') {
        if (!(await this.checkpoint(run, batch.records[batch.records.length - 1]!))) return false;
        queue.shift();
        continue;
      }
      if (run.stopped) return false;
      const range = `${seq(batch.records[0]!)}..${seq(batch.records[batch.records.length - 1]!)}`;
      if (outcome.kind === 'partial' && outcome.firstFailed > 0) {
        // Lambda checkpoints just before the lowest reported record and retries from there only.
        if (!(await this.checkpoint(run, batch.records[outcome.firstFailed - 1]!))) return false;
        batch.records = batch.records.slice(outcome.firstFailed);
        batch.failures = 0;
        this.options.log(`[esm ${this.name}] partial failure: ${outcome.error}; retrying the ${batch.records.length} records from there`);
        continue;
      }
      if (outcome.kind === 'failed' && bisectBatchOnFunctionError && batch.records.length > 1) {
        // BisectBatchOnFunctionError: split and retry each half; a split does not use a retry.
        const half = Math.ceil(batch.records.length / 2);
        queue.splice(0, 1, { records: batch.records.slice(0, half), failures: 0 }, { records: batch.records.slice(half), failures: 0 });
        this.options.log(`[esm ${this.name}] batch ${range} (${batch.records.length} records) failed, bisecting: ${outcome.error}`);
        continue;
      }
      batch.failures++;
      if (batch.failures > topology.maxRetries) {
        this.options.log(`[esm ${this.name}] batch ${range} failed ${batch.failures}x, sending it to the dead-letter store: ${outcome.error}`);
        const last = batch.records[batch.records.length - 1]!;
        const stored = await this.persistently(run, 'storing a dead letter', () =>
          putDeadLetter({
            topology: topology.name,
            functionName: topology.function,
            streamArn: source.streamArn,
            shardId: source.shardId,
            startSequenceNumber: seq(batch.records[0]!),
            endSequenceNumber: seq(last),
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
        if (!stored || !(await this.checkpoint(run, last))) return false;
        queue.shift();
        continue;
      }
      this.options.log(`[esm ${this.name}] batch ${range} failed (${batch.failures}x), retrying: ${outcome.error}`);
      await this.sleep(run, this.backoff(batch.failures, this.options.retryDelayMs));
      if (run.stopped) return false;
    }
    return true;
  }
}
