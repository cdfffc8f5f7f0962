import fc from 'fast-check';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../lib/core/depot.ts';
import { compareSequenceNumbers, decodeRecord, sequencePosition, shardIdOf } from '../../lib/core/topology/records.ts';
import { Rejection } from '../../lib/core/topology/stream.ts';

const seq = '49590338271490256608559692538361571095921575989136588898';

function record(data: Uint8Array | string, partitionKey = 'room-1'): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber: seq,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: 1545084650.987,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000006:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
    awsRegion: 'us-east-2',
    eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
  };
}

const sequenceNumber = fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,128}$/));

describe('depot records in Kinesis events', () => {
  it('decodes an envelope with its position', () => {
    const decoded = decodeRecord(record(encodeEnvelope({ partitionKey: 'room-1', data: { body: 'hi' }, kind: 'message', requestId: 'r1' })));
    expect(decoded).toEqual({
      ok: true,
      record: {
        payload: { body: 'hi' },
        kind: 'message',
        requestId: 'r1',
        partitionKey: 'room-1',
        shardId: 'shardId-000000000006',
        lane: 'shardId-000000000006',
        sequenceNumber: seq,
        eventId: `shardId-000000000006:${seq}`,
        arrivedAt: 1545084650987,
      },
    });
    expect(shardIdOf(record('x'))).toBe('shardId-000000000006');
  });

  it('decodes a record of a partitioned depot: the partition key from the envelope, the lane from shard and partition', () => {
    const decoded = decodeRecord(record(encodeEnvelope({ partitionKey: '!room:example.org', data: {}, kind: 'send' }, true), 'p13'));
    expect(decoded).toMatchObject({ ok: true, record: { partitionKey: '!room:example.org', shardId: 'shardId-000000000006', lane: '6.p13' } });
    expect(decodeRecord(record(JSON.stringify({ v: 1, key: '', payload: 1 }), 'p1'))).toMatchObject({ ok: false });
  });

  it('turns what cannot be decoded into a rejection, keeping the request id when there is one', () => {
    expect(decodeRecord(record('not json'))).toMatchObject({ ok: false, error: { code: 'AXON_INVALID_RECORD' } });
    expect(decodeRecord(record('[1]'))).toMatchObject({ ok: false });
    expect(decodeRecord(record(JSON.stringify({ v: 2, requestId: 'r2', payload: 1 })))).toMatchObject({ ok: false, requestId: 'r2' });
    expect(decodeRecord(record(JSON.stringify({ v: 1, requestId: 'r3' })))).toMatchObject({ ok: false, requestId: 'r3' });
    const parser = {
      parse(p: unknown) {
        if (typeof p !== 'number') throw new Error('a number');
        return p;
      },
    };
    expect(decodeRecord(record(JSON.stringify({ v: 1, requestId: 'r4', payload: 'x' })), parser)).toMatchObject({
      ok: false,
      requestId: 'r4',
      error: { message: 'invalid payload: a number' },
    });
    // A parser refusing with a Rejection names what the appender is told.
    const refusing = {
      parse(): never {
        throw new Rejection('M_BAD_JSON', 'lone surrogate', 400);
      },
    };
    expect(decodeRecord(record(JSON.stringify({ v: 1, requestId: 'r5', payload: 'x' })), refusing)).toEqual({
      ok: false,
      source: expect.anything(),
      requestId: 'r5',
      error: { code: 'M_BAD_JSON', message: 'lone surrogate', status: 400 },
    });
  });

  it('orders sequence numbers as numbers, and their positions as strings the same way', () => {
    fc.assert(
      fc.property(sequenceNumber, sequenceNumber, (a, b) => {
        const numeric = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        expect(compareSequenceNumbers(a, b)).toBe(numeric);
        const pa = sequencePosition(a);
        const pb = sequencePosition(b);
        expect(pa < pb ? -1 : pa > pb ? 1 : 0).toBe(numeric);
      }),
    );
    expect(() => sequencePosition('12a')).toThrow(RangeError);
  });
});
