// Errors of PState writes that callers are expected to handle or that explain a rejected request.
import { MAX_TRANSACTION_ITEMS } from '../table-writes.ts';

/** DynamoDB's item size limit (400 KB, attribute names included). */
export const MAX_ITEM_BYTES = 400 * 1024;

/** A write's own condition (ifAbsent, ifEquals, ifBelow...) did not hold; nothing was written. */
export class ConditionFailedError extends Error {
  override name = 'ConditionFailedError';
}

export class ItemTooLargeError extends Error {
  override name = 'ItemTooLargeError';
  constructor(
    readonly key: { pk: string; sk: string },
    readonly bytes: number,
  ) {
    super(`item ${JSON.stringify(key)} would be ${bytes} bytes, over DynamoDB's limit of ${MAX_ITEM_BYTES} bytes (400 KB)`);
  }
}

export class TooManyWritesError extends Error {
  override name = 'TooManyWritesError';
  constructor(readonly items: number) {
    super(`${items} items in one atomic commit; DynamoDB transactions take at most ${MAX_TRANSACTION_ITEMS}`);
  }
}

/** Guards kept failing because other writers kept changing the same items. */
export class ContentionError extends Error {
  override name = 'ContentionError';
}

export function isConditionFailed(err: unknown): err is ConditionFailedError {
  return err instanceof ConditionFailedError;
}
