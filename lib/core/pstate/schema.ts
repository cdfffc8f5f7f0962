// PState schemas: nested maps, sets, vectors, records and scalars, any inner map/set/vector
// optionally subindexed (each element its own table item). The runtime nodes drive storage and
// validation; the type parameters drive inference of what reads return and writes accept.
import type { ZodType } from 'zod';

export type KeySchema = StringSchema | NumberSchema;

interface Node<K extends string, Sub extends boolean> {
  readonly kind: K;
  /** Whether every element is stored as its own item (only maps, sets and vectors). */
  readonly isSubindexed: Sub;
}

export type StringSchema = Node<'string', false>;
export type NumberSchema = Node<'number', false>;
export type BooleanSchema = Node<'boolean', false>;
export interface JsonSchema<T = unknown> extends Node<'json', false> {
  readonly zod: ZodType<T>;
}

export interface MapSchema<K extends KeySchema = KeySchema, V extends Schema = Schema, Sub extends boolean = boolean>
  extends Node<'map', Sub> {
  readonly key: K;
  readonly value: V;
  subindexed(): MapSchema<K, V, true>;
}

export interface SetSchema<T extends KeySchema = KeySchema, Sub extends boolean = boolean> extends Node<'set', Sub> {
  readonly element: T;
  subindexed(): SetSchema<T, true>;
}

export interface VectorSchema<T extends Schema = Schema, Sub extends boolean = boolean> extends Node<'vector', Sub> {
  readonly element: T;
  subindexed(): VectorSchema<T, true>;
}

export type Fields = Readonly<Record<string, Schema>>;

export interface RecordSchema<F extends Fields = Fields> extends Node<'record', false> {
  readonly fields: F;
}

export type Schema =
  | StringSchema
  | NumberSchema
  | BooleanSchema
  | JsonSchema
  | MapSchema<KeySchema, Schema, boolean>
  | SetSchema<KeySchema, boolean>
  | VectorSchema<Schema, boolean>
  | RecordSchema;

export type CollectionSchema = MapSchema | SetSchema | VectorSchema;

/** The JS type of a map key or set element. */
export type KeyOf<K> = K extends StringSchema ? string : K extends NumberSchema ? number : never;

type WritableFields<F extends Fields> = {
  [P in keyof F as F[P] extends { isSubindexed: true } ? never : P]: ValueOf<F[P]>;
};

/**
 * The value a write accepts (and a non-subindexed value reads as). Subindexed structures are never
 * written whole: their elements are written one by one, so record fields holding them are left out.
 */
export type ValueOf<S> = S extends StringSchema
  ? string
  : S extends NumberSchema
    ? number
    : S extends BooleanSchema
      ? boolean
      : S extends JsonSchema<infer T>
        ? T
        : S extends { isSubindexed: true }
          ? never
          : S extends MapSchema<infer K, infer V>
            ? Map<KeyOf<K>, ValueOf<V>>
            : S extends SetSchema<infer T>
              ? Set<KeyOf<T>>
              : S extends VectorSchema<infer T>
                ? ValueOf<T>[]
                : S extends RecordSchema<infer F>
                  ? WritableFields<F>
                  : never;

/** What a subindexed structure reads as when read through its parent: its size, kept in the parent. */
export interface Sized {
  count: number;
}

/**
 * The value a read returns. Subindexed parts read as their size (read elements by range); records
 * read as the fields that are stored (a field written alone leaves the others absent).
 */
export type ReadOf<S> = S extends { isSubindexed: true }
  ? Sized
  : S extends RecordSchema<infer F>
    ? { [P in keyof F]?: ReadOf<F[P]> }
    : ValueOf<S>;

const fieldName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function collection<T extends CollectionSchema>(node: Omit<T, 'subindexed' | 'isSubindexed'>): T {
  const make = (isSubindexed: boolean): T =>
    Object.freeze({ ...node, isSubindexed, subindexed: () => make(true) }) as unknown as T;
  return make(false);
}

function checkKey(k: Schema, what: string): void {
  if (k.kind !== 'string' && k.kind !== 'number') throw new Error(`${what} must be string() or number(), got ${k.kind}`);
}

/** Non-subindexed containers are stored whole, so they cannot hold subindexed parts. */
function checkWhole(node: Schema, what: string): void {
  if (containsSubindexed(node)) throw new Error(`${what}: a non-subindexed ${node.kind} cannot contain subindexed structures; mark it subindexed()`);
}

export function containsSubindexed(node: Schema): boolean {
  if (node.isSubindexed) return true;
  switch (node.kind) {
    case 'map':
      return containsSubindexed(node.value);
    case 'vector':
      return containsSubindexed(node.element);
    case 'record':
      return Object.values(node.fields).some(containsSubindexed);
    default:
      return false;
  }
}

export function string(): StringSchema {
  return Object.freeze({ kind: 'string', isSubindexed: false });
}

export function number(): NumberSchema {
  return Object.freeze({ kind: 'number', isSubindexed: false });
}

export function boolean(): BooleanSchema {
  return Object.freeze({ kind: 'boolean', isSubindexed: false });
}

/** A JSON value checked with a zod schema on every write. */
export function json<T>(zod: ZodType<T>): JsonSchema<T> {
  return Object.freeze({ kind: 'json', isSubindexed: false, zod });
}

/** A map. Keys are strings or numbers; `.subindexed()` stores each entry as its own item. */
export function map<K extends KeySchema, V extends Schema>(key: K, value: V): MapSchema<K, V, false> {
  checkKey(key, 'map key');
  return collection<MapSchema<K, V, false>>({ kind: 'map', key, value });
}

export function set<T extends KeySchema>(element: T): SetSchema<T, false> {
  checkKey(element, 'set element');
  return collection<SetSchema<T, false>>({ kind: 'set', element });
}

export function vector<T extends Schema>(element: T): VectorSchema<T, false> {
  return collection<VectorSchema<T, false>>({ kind: 'vector', element });
}

/** A record with fixed keys (Rama's fixed-keys schema). Field names are identifiers. */
export function record<F extends Fields>(fields: F): RecordSchema<F> {
  for (const name of Object.keys(fields)) {
    if (!fieldName.test(name)) throw new Error(`record field "${name}" must be an identifier`);
  }
  return Object.freeze({ kind: 'record', isSubindexed: false, fields: Object.freeze({ ...fields }) });
}

/** `subindexed(x)` is `x.subindexed()`. */
export function subindexed<S extends CollectionSchema>(node: S): ReturnType<S['subindexed']> {
  return node.subindexed() as ReturnType<S['subindexed']>;
}

/**
 * Check the placement rules of a whole PState schema: subindexed structures hang only below the
 * top-level map, records and other subindexed structures (their ancestors up to the partition are
 * item boundaries or records), and the top level itself is not subindexed.
 */
export function checkPStateSchema(root: Schema): void {
  if (root.isSubindexed) throw new Error('the top level of a PState cannot be subindexed (its keys are partitions)');
  const walk = (node: Schema, where: string, spine: boolean): void => {
    if (!spine && node.isSubindexed) throw new Error(`${where}: subindexed structure inside a value stored whole`);
    switch (node.kind) {
      case 'map':
        walk(node.value, `${where}.value`, spine && (node.isSubindexed || where === '$'));
        if (!node.isSubindexed && where !== '$') checkWhole(node, where);
        break;
      case 'vector':
        walk(node.element, `${where}[]`, spine && node.isSubindexed);
        if (!node.isSubindexed) checkWhole(node, where);
        break;
      case 'record':
        for (const [name, field] of Object.entries(node.fields)) walk(field, `${where}.${name}`, spine);
        break;
      default:
        break;
    }
  };
  walk(root, '$', true);
}

/** Thrown when a value does not match its schema: a bug in the caller, never silently stored. */
export class SchemaViolation extends Error {
  override name = 'SchemaViolation';
}

export function isWellFormedString(s: string): boolean {
  // Lone surrogates have no UTF-8 form, so they cannot be stored or ordered.
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * Why a value would not survive its JSON text unchanged (undefined when it would): only null,
 * booleans, finite numbers, strings, arrays and plain objects do. Walks without recursion, so a
 * document nested thousands of levels deep is checked, not a stack overflow.
 */
export function notPlainJson(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    switch (typeof v) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(v)) return `${v} is not a JSON number`;
        continue;
      case 'object': {
        if (v === null) continue;
        if (Array.isArray(v)) {
          for (const e of v) {
            if (e === undefined) return 'an array holds undefined';
            pending.push(e);
          }
          continue;
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) return `a ${(v as object).constructor?.name ?? 'non-plain object'} is not JSON`;
        for (const e of Object.values(v)) if (e !== undefined) pending.push(e);
        continue;
      }
      default:
        return `a ${typeof v} is not JSON`;
    }
  }
  return undefined;
}

export function validateKey(node: KeySchema, key: unknown, where: string): void {
  if (node.kind === 'string') {
    if (typeof key !== 'string') throw new SchemaViolation(`${where}: expected a string key, got ${typeof key}`);
    if (!isWellFormedString(key)) throw new SchemaViolation(`${where}: key contains a lone surrogate`);
  } else if (typeof key !== 'number' || !Number.isFinite(key)) {
    throw new SchemaViolation(`${where}: expected a finite number key, got ${String(key)}`);
  }
}

/** Validate a value written whole at a node (subindexed parts are rejected: they are written by element). */
export function validate(node: Schema, value: unknown, where: string): void {
  if (node.isSubindexed) throw new SchemaViolation(`${where}: a subindexed ${node.kind} is written element by element`);
  switch (node.kind) {
    case 'string':
      if (typeof value !== 'string') throw new SchemaViolation(`${where}: expected string, got ${typeof value}`);
      if (!isWellFormedString(value)) throw new SchemaViolation(`${where}: string contains a lone surrogate`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new SchemaViolation(`${where}: expected a finite number, got ${String(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw new SchemaViolation(`${where}: expected boolean, got ${typeof value}`);
      return;
    case 'json': {
      const problem = notPlainJson(value);
      if (problem) throw new SchemaViolation(`${where}: ${problem}`);
      const parsed = node.zod.safeParse(value);
      if (!parsed.success) throw new SchemaViolation(`${where}: ${parsed.error.message}`);
      return;
    }
    case 'map':
      if (!(value instanceof Map)) throw new SchemaViolation(`${where}: expected a Map`);
      for (const [k, v] of value) {
        validateKey(node.key, k, where);
        validate(node.value, v, `${where}[${JSON.stringify(k)}]`);
      }
      return;
    case 'set':
      if (!(value instanceof Set)) throw new SchemaViolation(`${where}: expected a Set`);
      for (const e of value) validateKey(node.element, e, where);
      return;
    case 'vector':
      if (!Array.isArray(value)) throw new SchemaViolation(`${where}: expected an array`);
      value.forEach((e, i) => validate(node.element, e, `${where}[${i}]`));
      return;
    case 'record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SchemaViolation(`${where}: expected a record object`);
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!(k in node.fields)) throw new SchemaViolation(`${where}: unknown field "${k}"`);
      }
      for (const [name, field] of Object.entries(node.fields)) {
        if (field.isSubindexed) {
          if (obj[name] !== undefined) throw new SchemaViolation(`${where}.${name}: subindexed field is written element by element`);
          continue;
        }
        if (obj[name] === undefined) throw new SchemaViolation(`${where}: missing field "${name}"`);
        validate(field, obj[name], `${where}.${name}`);
      }
      return;
    }
  }
}
