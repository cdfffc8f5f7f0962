// The stream topology wrapper: one depot record at a time, in shard order, with outcomes recorded
// for appenders that wait (append with ack) and partial batch failures so only the tail is retried.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { recordAckOutcome, type AckError } from '../ack.ts';
import { deterministicRejection } from './failures.ts';
import { decodeRecord, envelopeKind, type DepotRecord, type PayloadParser } from './records.ts';

/**
 * Thrown by a handler to reject a record: a domain outcome (forbidden, unknown room, ...), recorded
 * for the appender's ack. The record counts as processed; it is not a failure and is not retried.
 */
export class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'Rejection';
  }

  toAckError(): AckError {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.data !== undefined ? { data: this.data } : {}),
    };
  }
}

export interface TopologyContext {
  topology: string;
  lambda: Context;
}

/**
 * Applies one depot record. It MUST be idempotent: Kinesis delivers at least once, and a batch that
 * failed is retried from the failing record, so a record may be applied again, possibly after
 * later records changed the state. Key writes by `record.eventId`, or guard them with a condition
 * on the position they apply (e.g. "last applied sequence number < this one").
 * Return the value to record for the appender; throw `Rejection` to reject the record. A
 * deterministic failure (failures.ts: a schema violation, an item DynamoDB refuses) rejects it
 * too; any other error stops the batch and makes Lambda retry from this record.
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

const logger = new Logger({ serviceName: 'axon-topology' });

export function streamTopology<TIn, TOut>(options: StreamTopologyOptions<TIn, TOut>): KinesisTopologyHandler {
  const { name, handle } = options;
  const base = async (event: KinesisStreamEvent, lambda: Context): Promise<KinesisStreamBatchResponse> => {
    const context: TopologyContext = { topology: name, lambda };
    for (const source of event.Records) {
      if (options.accepts && !options.accepts(envelopeKind(source))) continue;
      const decoded = decodeRecord<TIn>(source, options.payload);
      try {
        if (!decoded.ok) {
          // A record that can never be applied: reject it (visibly) rather than retry it forever.
          logger.error('undecodable depot record rejected', { topology: name, eventId: source.eventID, error: decoded.error });
          if (decoded.requestId !== undefined) await recordAckOutcome(decoded.requestId, { ok: false, error: decoded.error }, name);
          continue;
        }
        const { record } = decoded;
        let outcome;
        try {
          outcome = { ok: true as const, value: await handle(record, context) };
        } catch (e) {
          // A refusal, or a failure no retry can change (failures.ts): recorded now, not retried.
          const error = e instanceof Rejection ? e.toAckError() : deterministicRejection(e);
          if (!error) throw e;
          if (!(e instanceof Rejection)) logger.error('depot record cannot be applied; rejected, not retried', { topology: name, eventId: source.eventID, error: e as Error });
          outcome = { ok: false as const, error };
        }
        if (record.requestId !== undefined) await recordAckOutcome(record.requestId, outcome, name);
      } catch (e) {
        // Stop here: Lambda retries from this record, and the records after it are not applied out
        // of order in the meantime.
        logger.error('depot record failed; batch stops here', { topology: name, eventId: source.eventID, error: e as Error });
        return { batchItemFailures: [{ itemIdentifier: source.kinesis.sequenceNumber }] };
      }
    }
    return { batchItemFailures: [] };
  };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>().handler(base) as unknown as KinesisTopologyHandler;
}
