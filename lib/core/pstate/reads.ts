// Reads through paths: get, fields of a record, count (one GetItem on the parent), membership,
// range over a subindexed structure (one Query per page), and multi-key get (BatchGetItem).
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws-clients.ts';
import { tableName } from '../environment.ts';
import type { Schema } from './schema.ts';
import { readFromItem, stepInto, type Item } from './codec.ts';
import { decodeIndex, decodeKey, encodeIndex, rangeBounds, structurePrefix } from './keys.ts';
import { countAttr, countAttrs, elementOf, itemId, leafAttrs, type ItemKey, type Location } from './location.ts';
import { coalescingReads, shareItems, shareRead } from './shared-reads.ts';
import { backOff } from '../backoff.ts';
import { inPool } from '../concurrency.ts';

export interface ReadOptions {
  /** Strongly consistent read (default: eventually consistent, half the read cost). */
  consistent?: boolean;
}

function subindexedNode(loc: Location, what: string): Schema & { isSubindexed: true } {
  if (!loc.node.isSubindexed || loc.innerRoot) throw new Error(`${loc.pstate}: ${what} needs a subindexed map, set or vector`);
  return loc.node as Schema & { isSubindexed: true };
}

async function getItem(key: ItemKey, options: ReadOptions, projection?: string[]): Promise<Item | undefined> {
  // Where reads coalesce, a whole item is asked for with the turn's other items.
  if (!projection && coalescingReads()) return (await batchGetItems([key], options)).get(itemId(key)) ?? undefined;
  const names = projection ? Object.fromEntries(projection.map((a, i) => [`#p${i}`, a])) : undefined;
  // The same memo key as an item of a BatchGetItem (below) when the whole item is read.
  const memo = `item|${itemId(key)}|${options.consistent === true}|${projection?.join(',') ?? ''}`;
  const item = await shareRead(key.pk, memo, async () => {
    const out = await documentClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: key,
        ConsistentRead: options.consistent ?? false,
        ...(names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {}),
      }),
    );
    return out.Item ?? null;
  });
  return item ?? undefined;
}

/** The value at the path: undefined when absent; subindexed parts read as `{ count }`. */
export async function getValue(loc: Location, options: ReadOptions = {}): Promise<unknown> {
  const item = await getItem(loc.item, options);
  return item ? valueFromItem(loc, item) : undefined;
}

export function valueFromItem(loc: Location, item: Item): unknown {
  const value = readFromItem(item, loc.innerRoot ?? loc.node, loc.fields);
  return loc.innerRoot ? stepInto(value, loc.inner) : value;
}

/** Some fields of the record at the path, reading only their attributes. */
export async function getFields(loc: Location, names: readonly string[], options: ReadOptions = {}): Promise<Record<string, unknown> | undefined> {
  const node = loc.node;
  if (node.kind !== 'record' || loc.innerRoot) throw new Error(`${loc.pstate}: fields() needs a record stored in its item`);
  const attrs = names.flatMap((n) => {
    const f = node.fields[n];
    if (!f) throw new Error(`${loc.pstate}: unknown field "${n}"`);
    return [...leafAttrs(f, [...loc.fields, n]).map((l) => l.attr), ...countAttrs(f, [...loc.fields, n])];
  });
  const item = await getItem(loc.item, options, ['pk', ...attrs]);
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const v = readFromItem(item, node.fields[n]!, [...loc.fields, n]);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** Size of the subindexed structure at the path: one GetItem of the item that keeps it. */
export async function countOf(loc: Location, options: ReadOptions = {}): Promise<number> {
  subindexedNode(loc, 'count');
  const attr = countAttr(loc.fields);
  const item = await getItem(loc.item, options, [attr]);
  return Number(item?.[attr] ?? 0);
}

/** Whether the subindexed map has the key / the subindexed set has the element. */
export async function hasElement(loc: Location, key: string | number, options: ReadOptions = {}): Promise<boolean> {
  subindexedNode(loc, 'has');
  const item = await getItem(elementOf(loc, key).item, options, ['pk']);
  return item !== undefined;
}

export interface RangeOptions<K> {
  /** Lower key bound (inclusive unless `fromInclusive: false`). */
  from?: K;
  fromInclusive?: boolean;
  /** Upper key bound (exclusive unless `toInclusive: true`). */
  to?: K;
  toInclusive?: boolean;
  /** Descending order (from `to` down to `from`). */
  reverse?: boolean;
  /** At most this many entries (default 100). */
  limit?: number;
  /** Continue after the last entry of a previous page. */
  cursor?: string;
  consistent?: boolean;
}

export interface RangePage<E> {
  entries: E[];
  /** Present when more entries may follow: pass as `cursor` for the next page. */
  cursor?: string;
}

function encodeCursor(sk: string): string {
  return Buffer.from(JSON.stringify({ sk }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, prefix: string): string {
  let sk: unknown;
  try {
    sk = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sk?: unknown }).sk;
  } catch {
    sk = undefined;
  }
  if (typeof sk !== 'string' || !sk.startsWith(prefix)) throw new Error('invalid range cursor (not from this structure)');
  return sk;
}

/**
 * Entries of the subindexed structure at the path in key order (index order for vectors): maps
 * give `[key, value]`, vectors `[index, value]`, sets their elements. Values read as `get` does.
 */
export async function rangeOf(loc: Location, options: RangeOptions<string | number> = {}): Promise<RangePage<unknown>> {
  const node = subindexedNode(loc, 'range');
  const limit = options.limit ?? 100;
  if (!(limit >= 1)) throw new Error('range limit must be at least 1');
  const prefix = structurePrefix(loc.segments);
  const enc = (k: string | number): string => {
    if (node.kind === 'vector') return encodeIndex(k as number);
    return elementOf(loc, k).item.sk.slice(prefix.length);
  };
  const bounds = rangeBounds(
    prefix,
    options.from === undefined ? undefined : { encoded: enc(options.from), inclusive: options.fromInclusive ?? true },
    options.to === undefined ? undefined : { encoded: enc(options.to), inclusive: options.toInclusive ?? false },
  );
  if (!bounds) return { entries: [] };
  const keySchema = node.kind === 'map' ? node.key : node.kind === 'set' ? node.element : undefined;
  const valueNode = node.kind === 'map' ? node.value : node.kind === 'vector' ? node.element : undefined;
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined = options.cursor ? { pk: loc.item.pk, sk: decodeCursor(options.cursor, prefix) } : undefined;
  // Ask for one more than the limit so that the last page carries no cursor.
  do {
    const input = {
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: { ':pk': loc.item.pk, ':low': bounds.low, ':high': bounds.high },
      ScanIndexForward: !options.reverse,
      Limit: limit + 1 - items.length,
      ConsistentRead: options.consistent ?? false,
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    const out = await shareRead(loc.item.pk, `query|${JSON.stringify(input)}`, () => documentClient().send(new QueryCommand(input)));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && items.length <= limit);
  const page = items.slice(0, limit);
  const entries = page.map((item) => {
    const encoded = (item.sk as string).slice(prefix.length);
    if (node.kind === 'set') return decodeKey(keySchema!, encoded);
    const key = node.kind === 'vector' ? decodeIndex(encoded) : decodeKey(keySchema!, encoded);
    return [key, readFromItem(item, valueNode!, [])];
  });
  const last = page[page.length - 1];
  return items.length > limit && last ? { entries, cursor: encodeCursor(last.sk as string) } : { entries };
}

const BATCH_GET_MAX = 100;
/** BatchGetItem requests one read sends at once. */
const PARALLEL_BATCH_GETS = 4;

/**
 * Read many items with BatchGetItem (100 keys a request, duplicates merged), retrying unprocessed
 * keys with exponential backoff. The result maps every key (by `itemId`) to its item or `null`.
 * Items of PStates a scope shares (shared-reads.ts) already read in it are not read again.
 */
export function batchGetItems(keys: readonly ItemKey[], options: ReadOptions = {}): Promise<Map<string, Item | null>> {
  const consistent = options.consistent === true;
  return shareItems(keys, (k) => `item|${itemId(k)}|${consistent}|`, (missing) => batchGetFromTable(missing, options), itemId, `batch|${tableName()}|${consistent}`);
}

async function batchGetFromTable(keys: readonly ItemKey[], options: ReadOptions): Promise<Map<string, Item | null>> {
  const result = new Map<string, Item | null>();
  const unique = new Map(keys.map((k) => [itemId(k), { pk: k.pk, sk: k.sk }]));
  const all = [...unique.values()];
  const table = tableName();
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < all.length; i += BATCH_GET_MAX) chunks.push(all.slice(i, i + BATCH_GET_MAX));
  // A few chunks at once: a coalesced batch of many readers should not take a round trip per
  // hundred, nor one request (3,000 keys) a caller's share of the SDK's connections.
  await inPool(
    chunks,
    PARALLEL_BATCH_GETS,
    async (chunk) => {
      let pending = chunk;
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 0) await backOff(attempt, { baseMs: 50, maxMs: 2000, jitter: 'half' });
        if (attempt > 12) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
        const out = await documentClient().send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistent ?? false } } }),
        );
        for (const item of out.Responses?.[table] ?? []) result.set(itemId(item as ItemKey), item);
        pending = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    },
  );
  for (const id of unique.keys()) if (!result.has(id)) result.set(id, null);
  return result;
}

/**
 * The values at many paths and, in the same BatchGetItem, the raw items `also` names (what a
 * caller will prepare writes with: `prepare(ops, { known })`), in the order of the locations.
 */
export async function getValuesAndItems(
  locs: readonly Location[],
  also: readonly ItemKey[],
  options: ReadOptions = {},
): Promise<{ values: unknown[]; items: Map<string, Item | null> }> {
  const all = await batchGetItems([...locs.map((l) => l.item), ...also], options);
  const values = locs.map((loc) => {
    const item = all.get(itemId(loc.item));
    return item ? valueFromItem(loc, item) : undefined;
  });
  return { values, items: new Map(also.map((k) => [itemId(k), all.get(itemId(k)) ?? null])) };
}

/** The values at many paths with BatchGetItem, in the order of the locations. */
export async function getValues(locs: readonly Location[], options: ReadOptions = {}): Promise<unknown[]> {
  const items = await batchGetItems(
    locs.map((l) => l.item),
    options,
  );
  return locs.map((loc) => {
    const item = items.get(itemId(loc.item));
    return item ? valueFromItem(loc, item) : undefined;
  });
}
