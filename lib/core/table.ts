// The one table every PState lives in: its key layout, as data, and creating it where no CDK
// stack does (local engines, replay targets, tests).
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoClient } from './aws-clients.ts';
import { tableName } from './environment.ts';

/** The attribute DynamoDB's TTL reads (epoch seconds); the CDK stack configures the same. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Partition key `pk` and sort key `sk`, both strings. */
export const tableKeys = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
} as const;

/**
 * Every item of one partition, page after page, strongly consistent: for the table's own small
 * bookkeeping partitions (service instances, shard checkpoints, dead letters), not for PStates,
 * whose reads go through lib/core/pstate.
 */
export async function partitionItems(pk: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Create the table (on-demand, TTL on) unless it exists, and wait until it is ACTIVE. */
export async function ensureTable(name = tableName()): Promise<void> {
  try {
    await dynamoClient().send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...tableKeys.AttributeDefinitions],
        KeySchema: [...tableKeys.KeySchema],
      }),
    );
    await dynamoClient().send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
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
