// The local on-failure destination of the event source mapping. On AWS, records whose batch
// exhausted its retries are described in an SQS dead-letter queue; locally they are kept, whole,
// in the module's table (one item per discarded batch) so that `npm run dead-letters` can list them
// and nothing is ever dropped silently.
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../core/aws-clients.ts';
import { tableName } from '../core/environment.ts';
import { internalPrefixes } from '../core/table-writes.ts';

export interface DeadLetterRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** Base64, as the handler received it; absent when the item would exceed DynamoDB's item size. */
  data?: string;
  approximateArrivalTimestamp: number;
}

export interface DeadLetter {
  topology: string;
  functionName: string;
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  records: DeadLetterRecord[];
  /** How many times the failing records were invoked as this batch before being discarded. */
  attempts: number;
  /** Lambda's on-failure condition name. */
  condition: 'RetryAttemptsExhausted';
  error: string;
  deadLetteredAt: string;
  /** True when some records' data was left out to fit one item. */
  dataOmitted?: boolean;
  /** Records of the batch not listed at all to fit one item (find them by the sequence range). */
  recordsOmitted?: number;
}

const deadLetterPrefix = `${internalPrefixes.localMapping}#deadletter#`;

/** Room in a 400 KB item for the records' data, and for the records' own fields. */
const dataBudgetBytes = 250_000;
const recordsBudgetBytes = 100_000;

/**
 * Store a discarded batch. The key is the batch's shard and first sequence number, so storing the
 * same batch again (a crash between this write and the checkpoint) overwrites rather than doubles.
 */
export async function putDeadLetter(letter: Omit<DeadLetter, 'dataOmitted' | 'recordsOmitted' | 'deadLetteredAt'>): Promise<void> {
  let dataBudget = dataBudgetBytes;
  let recordsBudget = recordsBudgetBytes;
  let dataOmitted = false;
  const records: DeadLetterRecord[] = [];
  for (const r of letter.records) {
    recordsBudget -= 100 + r.partitionKey.length + r.sequenceNumber.length;
    if (recordsBudget < 0) break;
    const size = r.data?.length ?? 0;
    if (size > dataBudget) {
      dataOmitted = true;
      records.push({ ...r, data: undefined });
    } else {
      dataBudget -= size;
      records.push(r);
    }
  }
  const recordsOmitted = letter.records.length - records.length;
  await documentClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        pk: `${deadLetterPrefix}${letter.topology}`,
        sk: `${letter.shardId}#${letter.startSequenceNumber}`,
        ...letter,
        records,
        deadLetteredAt: new Date().toISOString(),
        ...(dataOmitted ? { dataOmitted } : {}),
        ...(recordsOmitted ? { recordsOmitted } : {}),
      },
    }),
  );
}

function strip(item: Record<string, unknown>): DeadLetter {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { pk, sk, ...letter } = item;
  return letter as unknown as DeadLetter;
}

/**
 * The dead letters of one topology (ordered by shard, then position), or of every topology when
 * none is named (a scan: a local diagnostic, not a serving path).
 */
export async function listDeadLetters(topology?: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = topology
      ? await documentClient().send(
          new QueryCommand({
            TableName: tableName(),
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `${deadLetterPrefix}${topology}` },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        )
      : await documentClient().send(
          new ScanCommand({
            TableName: tableName(),
            FilterExpression: 'begins_with(pk, :prefix)',
            ExpressionAttributeValues: { ':prefix': deadLetterPrefix },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
    out.push(...(page.Items ?? []).map(strip));
    start = page.LastEvaluatedKey;
  } while (start);
  if (!topology) out.sort((a, b) => a.topology.localeCompare(b.topology) || a.deadLetteredAt.localeCompare(b.deadLetteredAt));
  return out;
}
