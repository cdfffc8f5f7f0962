// ParallelizationFactor: Lambda processes up to N batches of one shard at the same time, records of
// one partition key always in the same one, so a key's records stay in order while different keys
// go on in parallel (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, "Polling and
// batching streams"). Locally each shard's records are split by a hash of their partition key into
// N lanes; a lane delivers its batches one after the other.
import { createHash } from 'node:crypto';


/** The lane (0..lanes-1) of a partition key: stable, so a key never changes lane. */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  return createHash('md5').update(partitionKey, 'utf8').digest().readUInt32BE(0) % lanes;
}
