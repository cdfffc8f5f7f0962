// The event object Lambda's Kinesis event source mapping passes to a function, built from the
// records GetRecords returned. Field for field what AWS sends (checked in tests against the
// Powertools parser schema, which is written from real events).
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface EventSource {
  shardId: string;
  streamArn: string;
  awsRegion: string;
  /** The role the function runs as; locally a name derived from the function. */
  invokeIdentityArn: string;
}

export function toKinesisStreamRecord(record: KinesisRecord, source: EventSource): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.awsRegion,
    eventSourceARN: source.streamArn,
  };
}

export function toKinesisStreamEvent(records: readonly KinesisRecord[], source: EventSource): KinesisStreamEvent {
  return { Records: records.map((r) => toKinesisStreamRecord(r, source)) };
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` → account id. */
export function accountOf(streamArn: string): string {
  return streamArn.split(':')[4] || '000000000000';
}
