// One poller per shard per topology: reads the shard in order, splits its records into the
// topology's parallel lanes (ParallelizationFactor, by partition key), gathers each lane's batches
// the way Lambda's Kinesis event source mapping does (batch size, batching window), invokes the
// function and applies Lambda's error handling (retries, bisect on function error, partial batch
// responses, bounded retries then the on-failure destination) before it moves the persisted
// checkpoint — which, with lanes finishing out of order, only ever names the last record of the
// done prefix of the shard.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { kinesisClient } from '../../core/aws-clients.ts';
import { backoffDelay } from '../../core/backoff.ts';
import type { TopologyDecl } from '../../core/module.ts';
import { readCheckpoint, writeCheckpoint } from '../shard-checkpoints.ts';
import { errorMessage } from './batch-outcome.ts';
import { deliverBatch } from './deliver.ts';
import { laneOf } from './lanes.ts';
import type { ShardReadBudget } from './read-budget.ts';
import { pause, type Run } from './run.ts';
import { ShardProgress } from './shard-progress.ts';
import type { EventSource } from '../../core/topology/records.ts';

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
  /** The shard's read budget: shared by its standard consumers, or this enhanced fan-out consumer's own. */
  budget: ShardReadBudget;
  /**
   * Lambda's timing instead of the fastest local one: a standard consumer polls once a second and
   * appends do not hurry it; an enhanced fan-out consumer gets records `pushDelayMs` after they are written.
   */
  awsTiming: boolean;
  /** Throws if the function's role may not read what the mapping reads (it reads as the function). */
  authorize?: () => void;
}

/** Kinesis' typical propagation delay to an enhanced fan-out consumer (https://docs.aws.amazon.com/streams/latest/dev/building-consumers.html). */
export const PUSH_DELAY_MS = 70;
/** Lambda's base rate of polling a shard for a standard consumer (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html). */
export const STANDARD_POLL_INTERVAL_MS = 1_000;

interface Lane {
  queue: KinesisRecord[];
  /** When its oldest queued record was read (the batching window runs from there). */
  firstQueuedAt: number;
  /** Set while the lane waits for records: ends that wait. */
  wake?: () => void;
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
  /** The checkpoint to persist next, the one persisted, and the write in progress. */
  private checkpointTarget: KinesisRecord | undefined;
  private checkpointWritten: string | undefined;
  private checkpointWriting: Promise<boolean> | undefined;
  /** The reader waits for lanes to make room in the read-ahead (not for its next poll). */
  private waitingForRoom = false;

  constructor(private readonly options: ShardPollerOptions) {
    this.name = `${options.topology.name}/${options.source.shardId}`;
  }

  get shardId(): string {
    return this.options.source.shardId;
  }

  private get lanes(): number {
    return Math.max(1, this.options.topology.parallelization ?? 1);
  }

  private get running(): boolean {
    return !!this.current && !this.current.stopped;
  }

  start(): void {
    if (this.running) return;
    const run: Run = { stopped: false, sleepers: new Set() };
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
        for (const wake of [...run.sleepers]) wake();
        if (!this.finished) this.rejectWaiters('stopped');
      }
    })();
  }

  async stop(): Promise<void> {
    if (this.current) {
      this.current.stopped = true;
      for (const wake of [...this.current.sleepers]) wake();
    }
    this.rejectWaiters('stopped');
    await this.loop;
  }

  /**
   * Something was appended: poll now if waiting for new records. With AWS timing a standard
   * consumer keeps its cadence, and an enhanced fan-out one is pushed the records a little later.
   */
  nudge(): void {
    if (!this.options.awsTiming) return this.wake();
    if (this.options.topology.consumer !== 'enhanced') return;
    const run = this.current;
    if (run) void pause(run, PUSH_DELAY_MS).then(() => run.wakeReader?.());
  }

  private wake(): void {
    this.current?.wakeReader?.();
  }

  /** Resolves after a poll that started now or later found nothing new and nothing pending. */
  whenCaughtUp(): Promise<void> {
    if (this.finished) return Promise.resolve();
    if (!this.running) return Promise.reject(new Error(`event source mapping ${this.name} is stopped`));
    const caughtUp = new Promise<void>((resolve, reject) => this.waiters.push({ afterPoll: this.pollsStarted + 1, resolve, reject }));
    this.wake();
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

  private backoff(failures: number, base = 100): number {
    return backoffDelay(failures - 1, { baseMs: base, maxMs: this.options.maxBackoffMs, jitter: 'none' });
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
        await pause(run, this.backoff(failures));
        if (run.stopped) return undefined;
      }
    }
  }

  /**
   * Persist the checkpoint at `record` (the last record of the done prefix; later calls name later
   * records). Writes run one at a time, the newest target last. False when stopped first.
   */
  private checkpoint(run: Run, record: KinesisRecord): Promise<boolean> {
    this.checkpointTarget = record;
    this.checkpointWriting ??= (async () => {
      try {
        const { topology, source, streamCreatedAt } = this.options;
        while (this.checkpointTarget && seq(this.checkpointTarget) !== this.checkpointWritten) {
          const target = this.checkpointTarget;
          const written = await this.persistently(run, 'writing the checkpoint', () =>
            writeCheckpoint({
              topology: topology.name,
              shardId: source.shardId,
              sequenceNumber: seq(target),
              arrivedAt: target.ApproximateArrivalTimestamp?.getTime(),
              streamArn: source.streamArn,
              streamCreatedAt,
            }),
          );
          if (!written) return false;
          this.checkpointWritten = seq(target);
        }
        return true;
      } finally {
        this.checkpointWriting = undefined;
      }
    })();
    return this.checkpointWriting;
  }

  private async run(run: Run): Promise<void> {
    const { topology, source, streamName } = this.options;
    const stored = await this.persistently(run, 'reading the checkpoint', () => readCheckpoint(topology.name, source.shardId));
    if (!stored) return;
    // The last record read (queued or done with): the iterator is re-acquired after it.
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
    this.checkpointWritten = lastRead;
    this.checkpointTarget = undefined;
    // With LATEST and no checkpoint, an iterator lost to an error is re-acquired at the start time,
    // so records appended in between are not skipped.
    const startedAt = new Date();
    let startAtLatest = !lastRead && (topology.startingPosition ?? 'TRIM_HORIZON') === 'LATEST';
    let iterator: string | undefined;
    let closed = false;
    let readFailures = 0;
    let emptyPolls = 0;
    // The last read filled its page, so more are waiting: Lambda reads on at once until it has caught up.
    let behind = false;
    const progress = new ShardProgress();
    const lanes: Lane[] = Array.from({ length: this.lanes }, () => ({ queue: [], firstQueuedAt: 0 }));
    // Lambda reads ahead while batches are in flight: up to a batch per lane.
    const capacity = topology.batchSize * lanes.length;
    const laneLoops = lanes.map((lane) => this.runLane(run, lane, progress, () => closed));

    while (!run.stopped) {
      if (!closed && progress.pending < capacity) {
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
          if (!(await this.withinBudget(run))) break;
          // Checked as the request goes out (not while it waits for the budget).
          this.options.authorize?.();
          const poll = ++this.pollsStarted;
          const limit = capacity - progress.pending;
          const page = await kinesisClient().send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
          this.options.budget.endRead((page.Records ?? []).reduce((n, r) => n + (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''), 0));
          behind = (page.Records?.length ?? 0) >= limit;
          if (readFailures) this.options.log(`[esm ${this.name}] reading the shard again`);
          readFailures = 0;
          iterator = page.NextShardIterator;
          if (!iterator) closed = true;
          const records = page.Records ?? [];
          emptyPolls = records.length ? 0 : emptyPolls + 1;
          if (records.length) {
            progress.add(records);
            for (const record of records) {
              const lane = lanes[laneOf(record.PartitionKey ?? '', lanes.length)]!;
              if (!lane.queue.length) lane.firstQueuedAt = Date.now();
              lane.queue.push(record);
            }
            for (const lane of lanes) if (lane.queue.length) lane.wake?.();
            lastRead = seq(records[records.length - 1]!);
            lastReadArrival = records[records.length - 1]!.ApproximateArrivalTimestamp?.getTime();
          } else if (!progress.pending && !this.checkpointWriting && !page.MillisBehindLatest) {
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
          // after the last record read; the records already queued stay pending.
          iterator = undefined;
          readFailures++;
          if (readFailures === 1 || readFailures % 20 === 0) {
            this.options.log(`[esm ${this.name}] reading the shard failed (${readFailures}x): ${errorMessage(e)}`);
          }
          await pause(run, this.backoff(readFailures));
          continue;
        }
      }

      if (closed && !progress.pending) {
        this.options.log(`[esm ${this.name}] shard is closed and fully processed`);
        this.finished = true;
        for (const w of this.waiters.splice(0)) w.resolve();
        break;
      }
      // Lanes gathering for their batching window want the next records soon; a full read-ahead
      // waits for a lane to finish; otherwise idle, backing off. Either way, do not spin.
      const { pollIntervalMs, maxPollIntervalMs } = this.options;
      const gathering = topology.batchingWindowMs > 0 && lanes.some((l) => l.queue.length > 0);
      const idleFor = backoffDelay(emptyPolls - 1, { baseMs: pollIntervalMs, maxMs: maxPollIntervalMs, jitter: 'none' });
      const full = progress.pending >= capacity || closed;
      const wait = full ? maxPollIntervalMs : behind ? 0 : gathering ? pollIntervalMs : idleFor;
      this.waitingForRoom = full;
      await pause(run, wait, (wake) => (run.wakeReader = wake));
      run.wakeReader = undefined;
    }
    for (const lane of lanes) lane.wake?.();
    await Promise.all(laneLoops);
  }

  /** Wait until the shard's read budget allows a read; false when stopped first. */
  /**
   * Wait until the shard's budget allows a read, and take it: the check and the take happen in one
   * synchronous step, so consumers sharing the budget cannot both see the last token.
   */
  private async withinBudget(run: Run): Promise<boolean> {
    for (let wait = this.options.budget.delay(); wait > 0; wait = this.options.budget.delay()) {
      await pause(run, wait);
      if (run.stopped) return false;
    }
    if (run.stopped) return false;
    this.options.budget.startRead();
    return true;
  }

  /** One lane: its batches one after the other, each until it succeeded or was dead-lettered. */
  private async runLane(run: Run, lane: Lane, progress: ShardProgress, isClosed: () => boolean): Promise<void> {
    const { topology } = this.options;
    while (!run.stopped) {
      const windowLeft = topology.batchingWindowMs - (Date.now() - lane.firstQueuedAt);
      if (!lane.queue.length || (lane.queue.length < topology.batchSize && !isClosed() && windowLeft > 0)) {
        await pause(run, lane.queue.length ? windowLeft : 60_000, (wake) => (lane.wake = wake));
        lane.wake = undefined;
        continue;
      }
      const batch = lane.queue.splice(0, topology.batchSize);
      if (lane.queue.length) lane.firstQueuedAt = Date.now();
      const delivered = await deliverBatch(
        {
          run,
          topology,
          source: this.options.source,
          name: this.name,
          invoke: this.options.invoke,
          bisect: this.options.bisectBatchOnFunctionError,
          reportBatchItemFailures: this.options.reportBatchItemFailures,
          retryDelayMs: this.options.retryDelayMs,
          backoff: (failures, base) => this.backoff(failures, base),
          persistently: (what, call) => this.persistently(run, what, call),
          log: this.options.log,
        },
        batch,
        async (done) => {
          const last = progress.finish(done);
          return last ? this.checkpoint(run, last) : true;
        },
      );
      // Room in the read-ahead, or (nothing pending) a poll that can tell a waiter it caught up;
      // with AWS timing a standard consumer's next poll keeps its cadence unless the read-ahead was full.
      if (this.waitingForRoom || !this.options.awsTiming || this.options.topology.consumer === 'enhanced') run.wakeReader?.();
      if (!delivered) return;
    }
  }
}
