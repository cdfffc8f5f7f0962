// Where the local event source mapping remembers, per topology and shard, the last record it has
// finished with (processed, or sent to the dead-letter store). Lambda keeps this inside the
// service; locally it lives in the module's own table so that a restart resumes where it stopped.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../core/aws-clients.ts';
import { tableName } from '../core/environment.ts';
import { partitionItems } from '../core/table.ts';
import { internalPrefixes } from '../core/table-writes.ts';

export interface ShardCheckpoint {
  topology: string;
  shardId: string;
  /** The last sequence number done with; polling resumes AFTER it. */
  sequenceNumber: string;
  /** Arrival time (epoch ms) of that record: where to resume if the stream lost it. */
  arrivedAt?: number;
  /** Identifies the stream instance: a stream recreated under the same name starts afresh. */
  streamArn: string;
  streamCreatedAt: string;
  updatedAt: string;
}

export function checkpointKey(topology: string, shardId: string) {
  return { pk: `${internalPrefixes.localMapping}#checkpoint#${topology}`, sk: shardId };
}

export async function readCheckpoint(topology: string, shardId: string): Promise<ShardCheckpoint | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: checkpointKey(topology, shardId), ConsistentRead: true }),
  );
  return Item ? (Item as ShardCheckpoint & { pk: string; sk: string }) : undefined;
}

export async function writeCheckpoint(checkpoint: Omit<ShardCheckpoint, 'updatedAt'>): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...checkpointKey(checkpoint.topology, checkpoint.shardId), ...checkpoint, updatedAt: new Date().toISOString() },
    }),
  );
}

/** Every shard checkpoint of a topology (for diagnostics and tests). */
export async function listCheckpoints(topology: string): Promise<ShardCheckpoint[]> {
  return (await partitionItems(checkpointKey(topology, '').pk)) as unknown as ShardCheckpoint[];
}
