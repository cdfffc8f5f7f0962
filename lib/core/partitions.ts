// Depot partitions (Rama's depot partitioner): a partitioned depot hashes each partition key (room
// id, user id) into one of N partitions, and a partition is what Kinesis orders and Lambda keeps
// together (its Kinesis partition key). Placed with an explicit hash key at the middle of its
// slice of the hash key space, the partitions spread evenly over evenly split shards.
import { createHash } from 'node:crypto';

const HASH_SPACE = 2n ** 128n;

/** The partition (0..partitions-1) of a key. Stable forever: a key never changes partition. */
export function partitionOf(key: string, partitions: number): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0) % partitions;
}

/** The Kinesis partition key of a partition. */
export function partitionKinesisKey(partition: number): string {
  return `p${partition}`;
}

/** The explicit hash key placing a partition in the middle of its slice of Kinesis' hash key space. */
export function partitionHashKey(partition: number, partitions: number): string {
  return ((HASH_SPACE * BigInt(2 * partition + 1)) / BigInt(2 * partitions)).toString();
}

/**
 * The lane of a record: what orders it for a stream topology. For a partitioned depot, its shard
 * and partition (`<shard number>.<Kinesis partition key>`, short: sync tokens carry lanes); else
 * its shard.
 */
export function laneOf(shardId: string, kinesisPartitionKey: string, partitioned: boolean): string {
  if (!partitioned) return shardId;
  const shard = /^shardId-(\d+)$/.exec(shardId);
  return `${shard ? String(Number(shard[1])) : shardId}.${kinesisPartitionKey}`;
}
