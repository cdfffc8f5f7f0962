// The stream topology wrapper: a batch's lanes (depot partitions) at the same time, each one's
// records one at a time, in order; outcomes recorded for appenders that wait (append with ack),
// and partial batch failures so that only what failed (and what follows it) is retried.
import middy from '@middy/core';
import { logger } from '../log.ts';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { recordAckOutcome } from '../ack.ts';
import { inPool } from '../concurrency.ts';
import { deterministicRejection } from './failures.ts';
import { Rejection } from './rejection.ts';

export { Rejection };
import { compareSequenceNumbers, decodeRecord, envelopeKind, shardIdOf, type DecodedRecord, type DepotRecord, type PayloadParser } from './records.ts';

export interface TopologyContext {
  topology: string;
  lambda: Context;
}

/**
 * Applies one depot record. It MUST be idempotent: Kinesis delivers at least once, and a batch that
 * failed is retried from its lowest failing record, so a record may be applied again, possibly
 * after later records changed the state. Records of other lanes run at the same time. Key writes
 * by `record.eventId`, or guard them with a condition on the position they apply (e.g. "last
 * applied sequence number < this one").
 * Return the value to record for the appender; throw `Rejection` to reject the record. A
 * deterministic failure (failures.ts: a schema violation, an item DynamoDB refuses) rejects it
 * too; any other error stops the record's lane (the rest of the batch goes on) and makes Lambda
 * retry from it.
 */
export type StreamHandle<TIn, TOut> = (record: DepotRecord<TIn>, context: TopologyContext) => Promise<TOut>;

export interface StreamTopologyOptions<TIn, TOut> {
  name: string;
  handle: StreamHandle<TIn, TOut>;
  /** Validates/parses each payload; a refused payload is a recorded rejection. */
  payload?: PayloadParser<TIn>;
  /**
   * For topologies that share a depot: the record kinds this one takes. Other records are left
   * alone (no outcome recorded), so each topology answers only the appenders of its own kinds.
   */
  accepts?: (kind: string | undefined) => boolean;
}

export type KinesisTopologyHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

const log = logger('axon-topology');

/** Lanes of one batch applied at the same time (each one's records in order). */
export const LANE_CONCURRENCY = 16;

/**
 * A record applied this long after its append (queued behind a slow batch, or slow itself) is
 * worth a warning: appenders wait ~20 s for an outcome, then answer 503.
 */
const SLOW_RECORD_MS = 5_000;

/** A batch's records by lane (lib/core/partitions.ts: a depot partition, or the whole shard), each in shard order. */
function byLane<T>(records: readonly KinesisStreamRecord[], parser: PayloadParser<T> | undefined): { source: KinesisStreamRecord; decoded: DecodedRecord<T> }[][] {
  const lanes = new Map<string, { source: KinesisStreamRecord; decoded: DecodedRecord<T> }[]>();
  for (const source of records) {
    const decoded = decodeRecord<T>(source, parser);
    const lane = decoded.ok ? decoded.record.lane : shardIdOf(source);
    const group = lanes.get(lane);
    if (group) group.push({ source, decoded });
    else lanes.set(lane, [{ source, decoded }]);
  }
  return [...lanes.values()];
}

/**
 * A stream topology's Lambda handler. Records of different lanes (the partitions of a
 * partitioned depot) are applied at the same time, up to LANE_CONCURRENCY; one lane's records
 * strictly in order (a depot without partitions is one lane per shard: one record at a time). A
 * failed record holds back only the later records of its lane: the rest of the batch completes,
 * and the response names every lane's first failed record. Lambda checkpoints before the lowest
 * of them and delivers everything after it again — the records of other lanes it already applied
 * included, which find their outcome recorded (applyOnce) — so nothing is lost and nothing
 * applies twice.
 */
export function streamTopology<TIn, TOut>(options: StreamTopologyOptions<TIn, TOut>): KinesisTopologyHandler {
  const { name, handle } = options;

  /** Handle one record; false when it failed and must be retried (its lane stops here). */
  const applyRecord = async (source: KinesisStreamRecord, decoded: DecodedRecord<TIn>, context: TopologyContext): Promise<boolean> => {
    try {
      if (!decoded.ok) {
        // A record that can never be applied: reject it (visibly) rather than retry it forever.
        log.error('undecodable depot record rejected', { topology: name, eventId: source.eventID, error: decoded.error });
        if (decoded.requestId !== undefined) await recordAckOutcome(decoded.requestId, { ok: false, error: decoded.error }, name);
        return true;
      }
      const { record } = decoded;
      const started = Date.now();
      let outcome;
      try {
        outcome = { ok: true as const, value: await handle(record, context) };
      } catch (e) {
        // A refusal, or a failure no retry can change (failures.ts): recorded now, not retried.
        const error = e instanceof Rejection ? e.toAckError() : deterministicRejection(e);
        if (!error) throw e;
        if (!(e instanceof Rejection)) log.error('depot record cannot be applied; rejected, not retried', { topology: name, eventId: source.eventID, error: e as Error });
        outcome = { ok: false as const, error };
      }
      if (record.requestId !== undefined) await recordAckOutcome(record.requestId, outcome, name);
      const tookMs = Date.now() - started;
      const sinceAppendMs = Date.now() - source.kinesis.approximateArrivalTimestamp * 1000;
      if (sinceAppendMs > SLOW_RECORD_MS) log.warn('slow depot record', { topology: name, eventId: source.eventID, kind: record.kind, lane: record.lane, tookMs, sinceAppendMs: Math.round(sinceAppendMs) });
      return true;
    } catch (e) {
      // Stop this lane here: Lambda retries from this record, and the lane's later records are
      // not applied out of order in the meantime.
      log.error('depot record failed; its lane stops here', { topology: name, eventId: source.eventID, error: e as Error });
      return false;
    }
  };

  const base = async (event: KinesisStreamEvent, lambda: Context): Promise<KinesisStreamBatchResponse> => {
    const context: TopologyContext = { topology: name, lambda };
    // Records of other topologies' kinds (a shared depot) are left alone: no outcome recorded.
    const own = options.accepts ? event.Records.filter((r) => options.accepts!(envelopeKind(r))) : event.Records;
    const failed = await inPool(byLane(own, options.payload), LANE_CONCURRENCY, async (lane) => {
      for (const { source, decoded } of lane) if (!(await applyRecord(source, decoded, context))) return source;
      return undefined;
    });
    const firstFailures = failed
      .filter((r): r is KinesisStreamRecord => r !== undefined)
      .sort((a, b) => compareSequenceNumbers(a.kinesis.sequenceNumber, b.kinesis.sequenceNumber));
    return { batchItemFailures: firstFailures.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
  };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>().handler(base) as unknown as KinesisTopologyHandler;
}
