// The unit every PState write compiles to: one item of a DynamoDB TransactWriteItems request, in
// the document client's shape. Topologies hand lists of these to the core, which commits them
// (atomically where needed, e.g. a microbatch's writes together with its shard checkpoint).
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TTL_ATTRIBUTE } from './table.ts';

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
  /** Instances of long-lived services subscribed to notices: `$svc#<service>` (lib/core/service/notices.ts). */
  serviceInstance: '$svc',
} as const;

/**
 * The same writes with the table's TTL attribute set on every item they put or update, so DynamoDB
 * deletes those items some time after `epochSeconds`. TTL deletion lags (up to days): readers still
 * check expiry themselves.
 */
export function expiringAt(writes: readonly TableWrite[], epochSeconds: number): TableWrite[] {
  return writes.map((write) => {
    if (write.Put) return { ...write, Put: { ...write.Put, Item: { ...write.Put.Item, [TTL_ATTRIBUTE]: epochSeconds } } };
    if (write.Update) {
      const { UpdateExpression: expression = '', ExpressionAttributeNames: names, ExpressionAttributeValues: values } = write.Update;
      const set = '#axonTtl = :axonTtl';
      // An update expression names each clause once: join an existing SET clause, else open one.
      const updated = /(^|\s)SET\s/.test(expression) ? expression.replace(/(^|\s)SET\s/, `$1SET ${set}, `) : `SET ${set} ${expression}`.trim();
      return {
        ...write,
        Update: {
          ...write.Update,
          UpdateExpression: updated,
          ExpressionAttributeNames: { ...names, '#axonTtl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ...values, ':axonTtl': epochSeconds },
        },
      };
    }
    return write;
  });
}
