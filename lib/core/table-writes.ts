// The unit every PState write compiles to: one item of a DynamoDB TransactWriteItems request, in
// the document client's shape. Topologies hand lists of these to the core, which commits them
// (atomically where needed, e.g. a microbatch's writes together with its shard checkpoint).
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

export type TableWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on the items of one TransactWriteItems request. */
export const MAX_TRANSACTION_ITEMS = 100;

/** Core-internal item prefixes; PState names may not start with `$`. */
export const internalPrefixes = {
  /** Outcomes of appends with ack: `$ack#<requestId>`. */
  ack: '$ack',
  /** Microbatch topology checkpoints: `$checkpoint#<topology>#<shardId>`. */
  checkpoint: '$checkpoint',
  /** Local event source mapping state (checkpoints, dead letters): local runtime only. */
  localMapping: '$esm',
} as const;
