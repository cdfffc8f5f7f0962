// A fresh table per test file, shaped like Axon's one table (pk S HASH, sk S RANGE, on demand).
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../../lib/core/aws-clients.ts';
import { useTestEngines } from '../../support/engines.ts';

export async function createTestTable(label: string): Promise<string> {
  const { prefix } = useTestEngines(label);
  await dynamoClient().send(
    new CreateTableCommand({
      TableName: prefix,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return prefix;
}
