import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { documentClient, dynamoClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { OUTSIDE_PHASES, RequestAccounting, type OperationCount } from '../../bench/accounting.ts';
import { useTestEngines } from '../support/engines.ts';

const { prefix } = useTestEngines('bench-accounting');
const table = prefix;
const stream = `${prefix}-depot`;
const accounting = new RequestAccounting();

function op(counts: OperationCount[], service: string, operation: string): OperationCount | undefined {
  return counts.find((c) => c.service === service && c.operation === operation);
}

beforeAll(async () => {
  accounting.install();
  await dynamoClient().send(new CreateTableCommand({
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  await kinesisClient().send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
  for (;;) {
    const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  accounting.uninstall();
  await dynamoClient().send(new DeleteTableCommand({ TableName: table }));
  await kinesisClient().send(new DeleteStreamCommand({ StreamName: stream }));
});

describe('RequestAccounting against the local engines', () => {
  it('counts DynamoDB requests per phase by operation and the PStates their keys name', async () => {
    await accounting.during('targets', async () => {
      await documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'roomInfo#!r', sk: '~' } }));
      await documentClient().send(new GetCommand({ TableName: table, Key: { pk: 'roomInfo#!r', sk: '~' } }));
      await documentClient().send(new GetCommand({ TableName: table, Key: { pk: 'roomInfo#!s', sk: '~' } }));
      await documentClient().send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'roomMembers#!r' } }));
      await documentClient().send(new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: table, Item: { pk: 'syncWake#@a', sk: '~' } } }, { Put: { TableName: table, Item: { pk: '$ack#x', sk: 'outcome' } } }],
      }));
    });
    expect(accounting.targetCounts('targets')).toEqual([
      { target: 'GetItem roomInfo', requests: 2 },
      { target: 'PutItem roomInfo', requests: 1 },
      { target: 'Query roomMembers', requests: 1 },
      { target: 'TransactWriteItems $ack+syncWake', requests: 1 },
    ]);
  });

  it('counts DynamoDB requests and consumed capacity per phase, for low-level and document clients', async () => {
    await accounting.during('writes', async () => {
      await dynamoClient().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: '1' } } }));
      // 3 KB item: 3 write units.
      await documentClient().send(new PutCommand({ TableName: table, Item: { pk: 'a', sk: '2', blob: 'x'.repeat(3000) } }));
      await documentClient().send(new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: table, Item: { pk: 'b', sk: '1' } } }, { Put: { TableName: table, Item: { pk: 'b', sk: '2' } } }],
      }));
    });
    const reads = await accounting.during('reads', async () => {
      await dynamoClient().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConsistentRead: true }));
      await documentClient().send(new GetCommand({ TableName: table, Key: { pk: 'a', sk: '1' } }));
      return documentClient().send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' } }));
    });
    // The document client still unmarshalls normally with the middleware in place.
    expect(reads.Items?.map((i) => i.sk)).toEqual(['1', '2']);

    const writes = accounting.phaseCounts('writes');
    expect(op(writes, 'DynamoDB', 'PutItem')).toMatchObject({ requests: 2, errors: 0, writeCapacityUnits: 4, readCapacityUnits: 0 });
    // The sum is what the engine reports: DynamoDB Local reports one unit per transactional item
    // where AWS bills two (usageFromAccounting's transactionalUnitsReportedOnce prices it as AWS would).
    expect(op(writes, 'DynamoDB', 'TransactWriteItems')).toMatchObject({ requests: 1, writeCapacityUnits: 2 });
    const readCounts = accounting.phaseCounts('reads');
    expect(op(readCounts, 'DynamoDB', 'GetItem')).toMatchObject({ requests: 2, readCapacityUnits: 1.5, writeCapacityUnits: 0 });
    expect(op(readCounts, 'DynamoDB', 'Query')?.requests).toBe(1);
    expect(op(readCounts, 'DynamoDB', 'Query')?.readCapacityUnits).toBeGreaterThan(0);
    expect(op(readCounts, 'DynamoDB', 'PutItem')).toBeUndefined();
    // Table creation happened before any phase.
    expect(op(accounting.phaseCounts(OUTSIDE_PHASES), 'DynamoDB', 'CreateTable')?.requests).toBe(1);
  });

  it('counts Kinesis records, PUT payload units and errors', async () => {
    await accounting.during('puts', async () => {
      await kinesisClient().send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: new Uint8Array(10) }));
      await kinesisClient().send(new PutRecordsCommand({
        StreamName: stream,
        // 30 KB + key → 2 payload units; 1 byte + key → 1.
        Records: [{ PartitionKey: 'p', Data: new Uint8Array(30 * 1024) }, { PartitionKey: 'p', Data: new Uint8Array(1) }],
      }));
      await expect(kinesisClient().send(new PutRecordCommand({ StreamName: `${stream}-missing`, PartitionKey: 'p', Data: new Uint8Array(1) }))).rejects.toThrow();
    });
    const puts = accounting.phaseCounts('puts');
    expect(op(puts, 'Kinesis', 'PutRecord')).toMatchObject({ requests: 2, errors: 1, kinesisRecords: 2, putPayloadUnits: 2, kinesisBytesIn: 2048 });
    expect(op(puts, 'Kinesis', 'PutRecords')).toMatchObject({ requests: 1, errors: 0, kinesisRecords: 2, putPayloadUnits: 3, kinesisBytesIn: 31 * 1024 + 1024 });
  });
});
