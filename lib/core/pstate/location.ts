// Where a path's value lives on the table. The nearest subindexed ancestor boundary decides the
// item; below it, record fields are flattened into attributes of that item (`v.<field>...` for
// values, `n.<field>...` for sizes of subindexed structures), and anything else is one attribute
// holding the value whole.
import type { CollectionSchema, KeySchema, Schema } from './schema.ts';
import { SchemaViolation, validateKey } from './schema.ts';
import { ROOT_SK, elementSortKey, encodeIndex, encodeKey, encodeString, partitionKey, type EncodedSegment } from './keys.ts';

export type Step = { kind: 'key'; key: string | number } | { kind: 'field'; name: string };

export interface ItemKey {
  pk: string;
  sk: string;
}

/** An element item of a subindexed structure, with where its structure's size is kept. */
export interface ElementRef {
  item: ItemKey;
  owner: ItemKey;
  countAttr: string;
  structure: CollectionSchema;
}

export interface Location {
  pstate: string;
  node: Schema;
  /** The item holding the value (or, for a subindexed structure, its size). */
  item: ItemKey;
  /** The element this item is, if it is an element of a subindexed structure. */
  element?: ElementRef;
  /** Element items from the partition root down to `item`, outermost first. */
  chain: ElementRef[];
  /** Encoded steps from the partition root (record fields included). */
  segments: EncodedSegment[];
  /** Record fields from the item to the value, flattened into attribute names. */
  fields: string[];
  /** Steps taken inside a value stored whole, from the attribute at `fields`. */
  inner: Step[];
  /** Schema of the attribute value the inner steps start from. */
  innerRoot?: Schema;
  topKey?: string | number;
}

export function valueAttr(fields: readonly string[]): string {
  return ['v', ...fields].join('.');
}

export function countAttr(fields: readonly string[]): string {
  return ['n', ...fields].join('.');
}

export function itemId(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

export function checkPStateName(name: string): void {
  if (!name || name.startsWith('$') || name.includes('#')) {
    throw new Error(`PState name "${name}" is invalid: it must be non-empty, not start with "$" (reserved for the core) and not contain "#"`);
  }
}

export function resolve(pstate: string, root: Schema, steps: readonly Step[]): Location {
  let node: Schema = root;
  let i = 0;
  let topKey: { schema: KeySchema; key: string | number } | undefined;
  if (root.kind === 'map') {
    const first = steps[0];
    if (!first) throw new Error(`a path into PState "${pstate}" starts with a top-level key`);
    if (first.kind !== 'key') throw new Error(`PState "${pstate}": expected a top-level key`);
    validateKey(root.key, first.key, `${pstate} top-level key`);
    topKey = { schema: root.key, key: first.key };
    node = root.value;
    i = 1;
  }
  const pk = partitionKey(pstate, topKey);
  let item: ItemKey = { pk, sk: ROOT_SK };
  let element: ElementRef | undefined;
  const chain: ElementRef[] = [];
  const segments: EncodedSegment[] = [];
  let fields: string[] = [];
  const inner: Step[] = [];
  let innerRoot: Schema | undefined;
  for (; i < steps.length; i++) {
    const step = steps[i]!;
    const where = `${pstate} step ${i}`;
    if (innerRoot) {
      inner.push(step);
      node = childOf(node, step, where);
      continue;
    }
    if ((node.kind === 'map' || node.kind === 'vector') && node.isSubindexed) {
      if (step.kind !== 'key') throw new Error(`${where}: expected a key`);
      let seg: string;
      if (node.kind === 'map') {
        validateKey(node.key, step.key, where);
        seg = encodeKey(node.key, step.key);
      } else {
        seg = encodeIndex(step.key as number);
      }
      const el: ElementRef = { item: { pk, sk: elementSortKey(segments, seg) }, owner: item, countAttr: countAttr(fields), structure: node };
      chain.push(el);
      element = el;
      item = el.item;
      segments.push(seg);
      fields = [];
      node = node.kind === 'map' ? node.value : node.element;
      continue;
    }
    if (node.kind === 'record') {
      if (step.kind !== 'field') throw new Error(`${where}: expected a record field`);
      if (!(step.name in node.fields)) throw new Error(`${where}: unknown field "${step.name}"`);
      segments.push(encodeString(step.name));
      fields.push(step.name);
      node = node.fields[step.name]!;
      continue;
    }
    innerRoot = node;
    inner.push(step);
    node = childOf(node, step, where);
  }
  checkItemKey(pstate, item);
  const loc: Location = { pstate, node, item, chain, segments, fields, inner };
  if (element && element.item === item && fields.length === 0 && !innerRoot) loc.element = element;
  if (innerRoot) loc.innerRoot = innerRoot;
  if (topKey) loc.topKey = topKey.key;
  return loc;
}

function childOf(node: Schema, step: Step, where: string): Schema {
  if (node.kind === 'map' && step.kind === 'key') {
    validateKey(node.key, step.key, where);
    return node.value;
  }
  if (node.kind === 'vector' && step.kind === 'key') return node.element;
  if (node.kind === 'record' && step.kind === 'field' && step.name in node.fields) return node.fields[step.name]!;
  throw new Error(`${where}: cannot step into a ${node.kind} with ${JSON.stringify(step)}`);
}

/** The element item of `key` in the subindexed structure at `loc` (a map, set or vector). */
export function elementOf(loc: Location, key: string | number): ElementRef {
  const s = loc.node;
  if (!s.isSubindexed || (s.kind !== 'map' && s.kind !== 'set' && s.kind !== 'vector')) {
    throw new Error(`${loc.pstate}: not a subindexed map, set or vector`);
  }
  if (loc.innerRoot) throw new Error(`${loc.pstate}: subindexed structure inside a whole value`);
  let seg: string;
  if (s.kind === 'vector') {
    seg = encodeIndex(key as number);
  } else {
    const ks = s.kind === 'map' ? s.key : s.element;
    validateKey(ks, key, loc.pstate);
    seg = encodeKey(ks, key);
  }
  const item = { pk: loc.item.pk, sk: elementSortKey(loc.segments, seg) };
  checkItemKey(loc.pstate, item);
  return { item, owner: loc.item, countAttr: countAttr(loc.fields), structure: s };
}

/** DynamoDB's limits on key attributes (UTF-8 bytes): a longer key is refused by every call. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** A path whose item key DynamoDB cannot hold: a schema violation, not a failure to retry. */
function checkItemKey(pstate: string, key: ItemKey): void {
  const pk = Buffer.byteLength(key.pk, 'utf8');
  const sk = Buffer.byteLength(key.sk, 'utf8');
  if (pk > MAX_PARTITION_KEY_BYTES || sk > MAX_SORT_KEY_BYTES) {
    throw new SchemaViolation(
      `${pstate}: item key too long (partition key ${pk} bytes, at most ${MAX_PARTITION_KEY_BYTES}; sort key ${sk} bytes, at most ${MAX_SORT_KEY_BYTES})`,
    );
  }
}

/** Every attribute that stores a part of the (non-subindexed) value at `fields` of an item. */
export function leafAttrs(node: Schema, fields: readonly string[]): { attr: string; node: Schema; fields: string[] }[] {
  if (node.isSubindexed) return [];
  if (node.kind === 'record') {
    return Object.entries(node.fields).flatMap(([name, f]) => leafAttrs(f, [...fields, name]));
  }
  return [{ attr: valueAttr(fields), node, fields: [...fields] }];
}

/** Every attribute that keeps the size of a subindexed structure within the value at `fields`. */
export function countAttrs(node: Schema, fields: readonly string[]): string[] {
  if (node.isSubindexed) return [countAttr(fields)];
  if (node.kind === 'record') return Object.entries(node.fields).flatMap(([name, f]) => countAttrs(f, [...fields, name]));
  return [];
}

export function assertWritable(loc: Location): void {
  if (loc.innerRoot) {
    throw new SchemaViolation(`${loc.pstate}: cannot write inside a value stored whole; write the whole ${loc.innerRoot.kind}`);
  }
}
