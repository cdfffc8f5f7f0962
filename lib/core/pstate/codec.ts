// How values are stored in item attributes and read back. Maps and sets stored whole become lists
// ordered by key (the document client has no Map/Set and DynamoDB maps cannot key by number).
// JSON values (`json()` nodes: whatever shape a client sent) are stored as their JSON text, UTF-8
// in a binary attribute: DynamoDB holds a document of any depth that way (its own maps and lists
// stop at 32 levels), at about the size of the same value as maps (see jsonText). Items written
// before stored them as maps and lists; those read back as they are (a binary attribute is
// unambiguous: no JSON value was ever stored as one), so existing tables need no migration.
import type { Schema } from './schema.ts';
import { compareKeys } from './keys.ts';
import { countAttr, leafAttrs, type Step } from './location.ts';

export type Stored = unknown;
export type Item = Record<string, unknown>;

export function encodeValue(node: Schema, value: unknown): Stored {
  switch (node.kind) {
    case 'map':
      return [...(value as Map<string | number, unknown>)]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([k, v]) => [k, encodeValue(node.value, v)]);
    case 'set':
      return [...(value as Set<string | number>)].sort(compareKeys);
    case 'vector':
      return (value as unknown[]).map((e) => encodeValue(node.element, e));
    case 'record':
      return Object.fromEntries(
        Object.entries(node.fields)
          .filter(([, f]) => !f.isSubindexed)
          .map(([name, f]) => [name, encodeValue(f, (value as Record<string, unknown>)[name])]),
      );
    case 'json':
      return encodeJsonText(value);
    default:
      return value;
  }
}

/** A JSON value as stored: its JSON text in UTF-8 (a binary attribute). */
export function encodeJsonText(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A stored JSON value back: JSON text (binary), or a map/list/scalar written by earlier versions. */
export function decodeJsonText(stored: Stored): unknown {
  if (!(stored instanceof Uint8Array)) return stored;
  return JSON.parse(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf8'));
}

export function decodeValue(node: Schema, stored: Stored): unknown {
  switch (node.kind) {
    case 'map':
      return new Map((stored as [string | number, Stored][]).map(([k, v]) => [k, decodeValue(node.value, v)]));
    case 'set':
      return new Set(stored as (string | number)[]);
    case 'vector':
      return (stored as Stored[]).map((e) => decodeValue(node.element, e));
    case 'record': {
      const obj = stored as Record<string, Stored>;
      const out: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(node.fields)) if (name in obj) out[name] = decodeValue(f, obj[name]);
      return out;
    }
    case 'json':
      return decodeJsonText(stored);
    default:
      return stored;
  }
}

/**
 * The value at `fields` of an item as a read returns it: subindexed parts as `{ count }`, records
 * as their stored fields (undefined for a nested record with none), whole values decoded.
 */
export function readFromItem(item: Item, node: Schema, fields: readonly string[]): unknown {
  if (node.isSubindexed) return { count: Number(item[countAttr(fields)] ?? 0) };
  if (node.kind === 'record') {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(node.fields)) {
      const v = readFromItem(item, f, [...fields, name]);
      if (v !== undefined) out[name] = v;
    }
    return fields.length > 0 && Object.keys(out).length === 0 ? undefined : out;
  }
  const attr = leafAttrs(node, fields)[0]!.attr;
  return attr in item ? decodeValue(node, item[attr]) : undefined;
}

/** Follow steps inside a decoded value stored whole. */
export function stepInto(value: unknown, steps: readonly Step[]): unknown {
  let v = value;
  for (const step of steps) {
    if (v === undefined) return undefined;
    if (v instanceof Map) v = v.get(step.kind === 'key' ? step.key : step.name);
    else if (Array.isArray(v)) v = v[step.kind === 'key' ? (step.key as number) : -1];
    else if (typeof v === 'object' && v !== null && step.kind === 'field') v = (v as Record<string, unknown>)[step.name];
    else return undefined;
  }
  return v;
}

/** Deep equality of stored values (object key order ignored), for evaluating conditions locally. */
export function storedEqual(a: Stored, b: Stored): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => storedEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && storedEqual((a as Item)[k], (b as Item)[k]));
  }
  return false;
}

const UTF8 = new TextEncoder();

/** DynamoDB's item size: attribute names plus values (numbers counted at their maximum, 21 bytes). */
export function storedSize(v: Stored): number {
  if (typeof v === 'string') return UTF8.encode(v).length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (typeof v === 'number') return 21;
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (Array.isArray(v)) return 3 + v.reduce<number>((s, e) => s + 1 + storedSize(e), 0);
  if (typeof v === 'object') {
    return 3 + Object.entries(v as Item).reduce((s, [k, e]) => s + 1 + UTF8.encode(k).length + storedSize(e), 0);
  }
  return 0;
}

export function itemSize(attrs: Item): number {
  return Object.entries(attrs).reduce((s, [k, v]) => s + UTF8.encode(k).length + storedSize(v), 0);
}
