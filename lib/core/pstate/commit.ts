// Committing PState writes: the cheapest call that keeps them atomic (one PutItem/UpdateItem/
// DeleteItem for one item, TransactWriteItems for several), and the read–compile–commit loop
// that keeps subindexed sizes exact when other writers race (see writes.ts).
import {
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DeleteCommandInput,
  type PutCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws-clients.ts';
import { MAX_TRANSACTION_ITEMS, type TableWrite } from '../table-writes.ts';
import { ConditionFailedError, ContentionError, ItemTooLargeError, MAX_ITEM_BYTES, TooManyWritesError } from './errors.ts';
import { batchGetItems } from './reads.ts';
import { compile, itemsToRead, type CompileOptions, type Knowledge, type WriteOp } from './writes.ts';
import { itemId, leafAttrs, valueAttr, type ItemKey, type Location } from './location.ts';
import { encodeValue } from './codec.ts';
import { validate, SchemaViolation } from './schema.ts';
import { tableName } from '../environment.ts';
import { backOff } from '../backoff.ts';

/** A commit failed because a condition did not hold (an op's own, or a guard on state read before). */
export class WriteConflict extends Error {
  override name = 'WriteConflict';
}

function wrap(err: unknown): unknown {
  const e = err as { name?: string; message?: string; CancellationReasons?: { Code?: string }[] };
  if (e.name === 'TransactionConflictException') return new WriteConflict(e.message ?? 'transaction conflict');
  if (e.name === 'ConditionalCheckFailedException') return new WriteConflict(e.message ?? 'condition failed');
  if (e.name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    if (codes.includes('ConditionalCheckFailed')) return new WriteConflict(`transaction cancelled: ${codes.join(', ')}`);
    if (codes.includes('TransactionConflict')) return new WriteConflict(`transaction conflict: ${codes.join(', ')}`);
  }
  if (e.name === 'ValidationException' && /item size/i.test(e.message ?? '')) {
    return new ItemTooLargeError({ pk: '?', sk: '?' }, MAX_ITEM_BYTES + 1);
  }
  return err;
}

/**
 * Commit table writes atomically with the cheapest call: nothing for none, a single PutItem /
 * UpdateItem / DeleteItem for one, TransactWriteItems for 2..100. More than 100 items cannot be
 * atomic and are rejected before anything is sent. A failed condition throws `WriteConflict`.
 */
export async function commitWrites(writes: readonly TableWrite[]): Promise<void> {
  if (writes.length > MAX_TRANSACTION_ITEMS) throw new TooManyWritesError(writes.length);
  if (writes.length === 0) return;
  const client = documentClient();
  try {
    const only = writes.length === 1 ? writes[0]! : undefined;
    if (only?.Put) await client.send(new PutCommand(only.Put as PutCommandInput));
    else if (only?.Update) await client.send(new UpdateCommand(only.Update as UpdateCommandInput));
    else if (only?.Delete) await client.send(new DeleteCommand(only.Delete as DeleteCommandInput));
    else await client.send(new TransactWriteCommand({ TransactItems: [...writes] }));
  } catch (err) {
    throw wrap(err);
  }
}

/**
 * Compile ops into table writes from a strongly consistent read of the items they depend on,
 * for a caller that commits them itself (e.g. a microbatch with its checkpoint). If that commit
 * fails on a condition (`ConditionalCheckFailed`), another writer got in between: prepare again.
 * With `onConditionFailed: 'skip'`, ops whose own condition already fails are left out.
 * With `readConditionTargets: false`, the targets of ops' own conditions are not read first: the
 * conditions go to DynamoDB only (one round trip less when they nearly always hold), so a failing
 * one shows as a failed commit rather than as `ConditionFailedError` — prepare again with the read.
 * `known`: items the caller read already (consistently, e.g. with `getManyAndItems`), not read
 * again; if one changed since, the guards compiled from it fail the commit, as any stale read does.
 */
export async function prepare(
  ops: readonly WriteOp[],
  options: CompileOptions & { readConditionTargets?: boolean; known?: Knowledge } = {},
): Promise<TableWrite[]> {
  const known: Knowledge = options.known ?? new Map();
  const keys = ops.flatMap((op) => itemsToRead(op, options.readConditionTargets ?? true)).filter((k) => !known.has(itemId(k)));
  const read = keys.length ? await batchGetItems(keys, { consistent: true }) : (new Map() as Knowledge);
  return compile(ops, known.size ? new Map([...known, ...read]) : read, options);
}

export interface CommitOptions {
  /** Attempts when guards fail because of concurrent writers (default 10). */
  maxAttempts?: number;
}

/**
 * Apply ops atomically: all or nothing. Reads only what count maintenance needs (element items,
 * vector sizes); ops' own conditions are first left to DynamoDB and, after a failure, checked on
 * a fresh read: a condition that does not hold throws `ConditionFailedError`, a guard broken by a
 * concurrent writer makes the commit retry from a fresh read.
 */
export async function commit(ops: readonly WriteOp[], options: CommitOptions = {}): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const keys = ops.flatMap((op) => itemsToRead(op, attempt > 0));
    const knowledge = keys.length ? await batchGetItems(keys, { consistent: true }) : new Map();
    const writes = compile(ops, knowledge);
    try {
      await commitWrites(writes);
      return;
    } catch (err) {
      if (!(err instanceof WriteConflict)) throw err;
      if (attempt > 0) await backOff(attempt, { baseMs: 20, maxMs: 1000 });
    }
  }
  throw new ContentionError(`commit of ${ops.length} ops kept conflicting with other writers after ${maxAttempts} attempts`);
}

/**
 * Add `by` to a number and return its new value: one UpdateItem (ADD, ReturnValues UPDATED_NEW),
 * no read — for a counter whose writer must say what it made it (e.g. to announce it).
 */
export async function incrementAndGet(op: WriteOp): Promise<number> {
  if (op.kind !== 'increment') throw new Error(`${op.loc.pstate}: incrementAndGet takes an increment, not a ${op.kind}`);
  if (itemsToRead(op).length) throw new Error(`${op.loc.pstate}: incrementAndGet needs a number that no element chain holds`);
  const writes = compile([op], new Map());
  const update = writes.length === 1 ? writes[0]!.Update : undefined;
  if (!update) throw new Error(`${op.loc.pstate}: an increment compiled to something other than one update`);
  try {
    const { Attributes } = await documentClient().send(new UpdateCommand({ ...(update as UpdateCommandInput), ReturnValues: 'UPDATED_NEW' }));
    return Number(Attributes?.[valueAttr(op.loc.fields)] ?? 0);
  } catch (err) {
    throw wrap(err);
  }
}

export { ConditionFailedError };

/** One element moved to another key of the same subindexed map (`value`: what the new key holds). */
export interface ElementMove {
  from: Location;
  to: Location;
  value: unknown;
}

const BATCH_WRITE_MAX = 25;

/**
 * Move elements of subindexed maps to other keys of the same map without reading them: each
 * `from` item is deleted and each `to` item put, with BatchWriteItem (25 items a request,
 * unprocessed items retried), neither atomic nor conditional, and the maps' sizes left as they
 * are. For a derived index whose writer knows, from what it owns, that every `from` exists and
 * no `to` does — or that the move was made already (a repeat: `from` absent, `to` put again with
 * the same value), which also leaves the size right. An element with subindexed parts cannot move.
 */
export async function moveElements(moves: readonly ElementMove[]): Promise<void> {
  const requests: Record<string, unknown>[] = [];
  for (const { from, to, value } of moves) {
    const el = to.element;
    if (!el || !from.element || itemId(from.element.owner) !== itemId(el.owner) || from.element.countAttr !== el.countAttr || el.structure.kind !== 'map') {
      throw new SchemaViolation(`${to.pstate}: moveElements moves an element of a subindexed map to another key of the same map`);
    }
    if (leafAttrs(to.node, []).length === 0 || to.node.isSubindexed) throw new SchemaViolation(`${to.pstate}: an element with subindexed parts cannot move`);
    validate(to.node, value, to.pstate);
    const item: Record<string, unknown> = { pk: to.item.pk, sk: to.item.sk };
    for (const leaf of leafAttrs(to.node, [])) item[leaf.attr] = encodeValue(leaf.node, leaf.fields.reduce<unknown>((v, f) => (v as Record<string, unknown>)[f], value));
    if (itemId(from.item) !== itemId(to.item)) requests.push({ DeleteRequest: { Key: { pk: from.item.pk, sk: from.item.sk } satisfies ItemKey } });
    requests.push({ PutRequest: { Item: item } });
  }
  const table = tableName();
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    let pending = requests.slice(i, i + BATCH_WRITE_MAX);
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 0) await backOff(attempt, { baseMs: 50, maxMs: 2000 });
      if (attempt > 12) throw new Error(`BatchWriteItem left ${pending.length} writes unprocessed after ${attempt} attempts`);
      const out = await documentClient().send(new BatchWriteCommand({ RequestItems: { [table]: pending } as never }));
      pending = (out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined) ?? [];
    }
  }
}
