// A small stream topology for the core's tests: a counter per partition key, written idempotently
// (guarded by the position it applied). Also a topology entry module (`handler`) for axon-replay.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lib/core/aws-clients.ts';
import { tableName } from '../../lib/core/environment.ts';
import { sequencePosition, type DepotRecord } from '../../lib/core/topology/records.ts';
import { Rejection, streamTopology } from '../../lib/core/topology/stream.ts';

/** A counter per partition key: `counter#<key>` holds the sum of the amounts applied to it. */
export const counterKey = (key: string) => ({ pk: `counter#${key}`, sk: 'total' });

export interface Amount {
  amount: number;
}

/**
 * The idempotent write of a stream topology: add the record's amount unless this record (or a
 * later one of its key) was already applied: the counter remembers the position it has applied.
 * Returns the total after the record.
 */
export async function applyAmount(record: DepotRecord<Amount>): Promise<number> {
  const position = sequencePosition(record.sequenceNumber);
  try {
    const out = await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: counterKey(record.partitionKey),
        UpdateExpression: 'ADD #total :amount, #records :one SET #position = :position',
        ConditionExpression: 'attribute_not_exists(#position) OR #position < :position',
        ExpressionAttributeNames: { '#total': 'total', '#records': 'records', '#position': 'position' },
        ExpressionAttributeValues: { ':amount': record.payload.amount, ':one': 1, ':position': position },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes!.total as number;
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: tableName(), Key: counterKey(record.partitionKey), ConsistentRead: true }),
    );
    return Item!.total as number;
  }
}

/** A stream topology over amounts: negative amounts are rejected, the rest are counted. */
export function counterTopology(beforeWrite?: (record: DepotRecord<Amount>) => void, afterWrite?: (record: DepotRecord<Amount>) => void) {
  return streamTopology<Amount, number>({
    name: 'counter',
    payload: {
      parse(p) {
        if (typeof (p as Amount | null)?.amount !== 'number') throw new Error('amount must be a number');
        return p as Amount;
      },
    },
    async handle(record) {
      if (record.payload.amount < 0) throw new Rejection('NEGATIVE_AMOUNT', 'amounts must not be negative', 400, { amount: record.payload.amount });
      beforeWrite?.(record);
      const total = await applyAmount(record);
      afterWrite?.(record);
      return total;
    },
  });
}

export const handler = counterTopology();
