// Creates, in the local engines, the table and the streams a module declares: what the CDK stack
// creates on AWS. Idempotent, so a restart over a persisted data directory finds them in place.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { dynamoClient, kinesisClient } from '../core/aws-clients.ts';
import { depotStreamName, tableName } from '../core/environment.ts';
import type { ModuleDecl } from '../core/module.ts';

/** The attribute DynamoDB's TTL reads (epoch seconds); the stack sets the same. */
export const ttlAttribute = 'expiresAt';

export async function ensureTable(name = tableName()): Promise<void> {
  try {
    await dynamoClient().send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await dynamoClient().send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  for (;;) {
    const { Table } = await dynamoClient().send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function ensureStream(streamName: string, shards: number): Promise<void> {
  try {
    await kinesisClient().send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (e) {
    if (!(e instanceof StreamInUseException)) throw e;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { StreamDescriptionSummary } = await kinesisClient().send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    } catch (e) {
      if (!(e instanceof ResourceNotFoundException)) throw e;
    }
    if (Date.now() > deadline) throw new Error(`stream ${streamName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Create the module's table and one stream per depot, as the CDK stack does on AWS. */
export async function provisionModule(module: ModuleDecl): Promise<void> {
  await Promise.all([
    ensureTable(),
    ...module.depots.map((depot) => ensureStream(depotStreamName(depot.name), depot.shards)),
  ]);
}
