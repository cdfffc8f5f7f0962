// Paths: typed navigation into a PState (key, field, index) and the reads and write ops available
// where the path ends. Reads run at once; write ops are values, applied by `commit` or compiled
// with `prepare` into table writes for a caller's own transaction.
import type { PStateDecl } from '../module.ts';
import type {
  KeyOf,
  KeySchema,
  MapSchema,
  ReadOf,
  RecordSchema,
  Schema,
  SetSchema,
  ValueOf,
  VectorSchema,
} from './schema.ts';
import { checkPStateSchema } from './schema.ts';
import { checkPStateName, resolve, type ItemKey, type Location, type Step } from './location.ts';
import { countOf, getFields, getValue, getValues, getValuesAndItems, hasElement, rangeOf, type RangeOptions, type RangePage, type ReadOptions } from './reads.ts';
import { itemsToRead, type Condition, type Knowledge, type WriteOp } from './writes.ts';

type ChildOf<S> = S extends MapSchema<KeySchema, infer V, boolean> ? V : S extends VectorSchema<infer T, boolean> ? T : never;
type StepKeyOf<S> = S extends MapSchema<infer K, Schema, boolean> ? KeyOf<K> : S extends VectorSchema<Schema, boolean> ? number : never;
type FieldsOf<S> = S extends RecordSchema<infer F> ? F : never;

/** Key type of the elements of a subindexed structure: map key, set element, vector index. */
export type ElementKeyOf<S> = S extends MapSchema<infer K, Schema, true>
  ? KeyOf<K>
  : S extends SetSchema<infer T, true>
    ? KeyOf<T>
    : S extends VectorSchema<Schema, true>
      ? number
      : never;

/** What one range entry is: `[key, value]` for maps, `[index, value]` for vectors, the element for sets. */
export type EntryOf<S> = S extends MapSchema<infer K, infer V, true>
  ? [KeyOf<K>, ReadOf<V>]
  : S extends SetSchema<infer T, true>
    ? KeyOf<T>
    : S extends VectorSchema<infer T, true>
      ? [number, ReadOf<T>]
      : never;

type VectorElementOf<S> = S extends VectorSchema<infer T, true> ? ValueOf<T> : never;

export class Path<S extends Schema> {
  private loc?: Location;

  constructor(
    readonly pstate: string,
    readonly root: Schema,
    readonly steps: readonly Step[],
    readonly node: S,
  ) {}

  /** Where the value lives on the table (resolved once). */
  location(): Location {
    this.loc ??= resolve(this.pstate, this.root, this.steps);
    return this.loc;
  }

  /** Step to a map's value at `key`, or a vector's element at index `key`. */
  key(key: StepKeyOf<S>): Path<ChildOf<S>> {
    const n = this.node as Schema;
    const child = n.kind === 'map' ? n.value : n.kind === 'vector' ? n.element : undefined;
    if (!child) throw new Error(`${this.pstate}: key() on a ${n.kind}`);
    return new Path(this.pstate, this.root, [...this.steps, { kind: 'key', key }], child as ChildOf<S>);
  }

  /** Step to a record field. */
  field<F extends keyof FieldsOf<S> & string>(name: F): Path<FieldsOf<S>[F]> {
    const n = this.node as Schema;
    if (n.kind !== 'record' || !(name in n.fields)) throw new Error(`${this.pstate}: no field "${name}" here`);
    return new Path(this.pstate, this.root, [...this.steps, { kind: 'field', name }], n.fields[name] as FieldsOf<S>[F]);
  }

  // Reads.

  /** The value, or undefined when absent. Subindexed parts read as `{ count }`: read them by range. */
  get(options?: ReadOptions): Promise<ReadOf<S> | undefined> {
    return getValue(this.location(), options) as Promise<ReadOf<S> | undefined>;
  }

  /** Some fields of a record, reading only their attributes. */
  fields<F extends keyof FieldsOf<S> & string>(names: readonly F[], options?: ReadOptions): Promise<{ [P in F]?: ReadOf<FieldsOf<S>[P]> } | undefined> {
    return getFields(this.location(), names, options) as Promise<{ [P in F]?: ReadOf<FieldsOf<S>[P]> } | undefined>;
  }

  /** Number of elements of a subindexed structure (one GetItem). */
  count(options?: ReadOptions): Promise<number> {
    return countOf(this.location(), options);
  }

  /** Membership: the subindexed map has the key / the subindexed set has the element. */
  has(key: ElementKeyOf<S>, options?: ReadOptions): Promise<boolean> {
    return hasElement(this.location(), key, options);
  }

  /** A page of entries of a subindexed structure, in key order (or reversed). */
  range(options?: RangeOptions<ElementKeyOf<S>>): Promise<RangePage<EntryOf<S>>> {
    return rangeOf(this.location(), options) as Promise<RangePage<EntryOf<S>>>;
  }

  /** Every entry in the range, page after page (`limit` is the page size): for bounded structures. */
  async entries(options: Omit<RangeOptions<ElementKeyOf<S>>, 'cursor'> = {}): Promise<EntryOf<S>[]> {
    const out: EntryOf<S>[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.range({ ...options, ...(cursor ? { cursor } : {}) });
      out.push(...page.entries);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  // Write ops (applied by commit / prepare).

  set(value: ValueOf<S>, condition?: Condition): WriteOp {
    return { kind: 'set', loc: this.location(), value, ...(condition ? { condition } : {}) };
  }

  /**
   * Set a top-level value that DynamoDB's TTL deletes after `expiresAt` (epoch seconds). The
   * deletion comes late (within days): a reader still checks the expiry it stored in the value.
   */
  setExpiring(value: ValueOf<S>, expiresAt: number): WriteOp {
    return { kind: 'set', loc: this.location(), value, expiresAt };
  }

  remove(condition?: Condition): WriteOp {
    return { kind: 'remove', loc: this.location(), ...(condition ? { condition } : {}) };
  }

  /** Write nothing, but let the commit hold only if `condition` holds here (as the commit's other conditions: on the state before it). */
  check(condition: Condition): WriteOp {
    return { kind: 'check', loc: this.location(), condition };
  }

  increment(this: Path<S & { kind: 'number' }>, by = 1, condition?: Condition): WriteOp {
    return { kind: 'increment', loc: this.location(), by, ...(condition ? { condition } : {}) };
  }

  /** Append to a subindexed vector: the element's index is the vector's size. */
  append(value: VectorElementOf<S>): WriteOp {
    return { kind: 'append', loc: this.location(), value };
  }

  /** The items an append here reads when prepared (the vector's size), for a caller that reads them ahead (`getManyAndItems`). */
  itemsAnAppendReads(this: Path<S & VectorSchema<Schema, true>>): ItemKey[] {
    return itemsToRead({ kind: 'append', loc: this.location(), value: undefined });
  }

  /** Add an element to a subindexed set. */
  add(element: S extends SetSchema<infer T, true> ? KeyOf<T> : never): WriteOp {
    return { kind: 'add', loc: this.location(), element };
  }

  /** Remove an element from a subindexed set. */
  delete(element: S extends SetSchema<infer T, true> ? KeyOf<T> : never): WriteOp {
    return { kind: 'delete', loc: this.location(), element };
  }
}

/** A declared PState: the module's `PStateDecl` and the entry point of its paths. */
export interface PState<S extends Schema> extends PStateDecl<S> {
  /** The path to the whole PState (for a top-level map, continue with `key`). */
  path(): Path<S>;
  /** Shortcut for `path().key(key)`. */
  key(key: StepKeyOf<S>): Path<ChildOf<S>>;
}

/** Declare a PState. Names may not start with `$` (core-internal items) nor contain `#`. */
export function pstate<S extends Schema>(name: string, schema: S): PState<S> {
  checkPStateName(name);
  checkPStateSchema(schema);
  const root = () => new Path<S>(name, schema, [], schema);
  return { name, schema, path: root, key: (key) => root().key(key) };
}

/**
 * `getMany`, and in the same BatchGetItem the items `also` names, as knowledge for a later
 * `prepare(ops, { known })`: a caller that knows what it will write reads what preparing it needs
 * together with what it plans from (one round trip instead of two).
 */
export async function getManyAndItems<const P extends readonly Path<Schema>[]>(
  paths: P,
  also: readonly ItemKey[],
  options?: ReadOptions,
): Promise<{ values: { -readonly [I in keyof P]: P[I] extends Path<infer S> ? ReadOf<S> | undefined : never }; known: Knowledge }> {
  const { values, items } = await getValuesAndItems(
    paths.map((p) => p.location()),
    also,
    options,
  );
  return { values: values as { -readonly [I in keyof P]: P[I] extends Path<infer S> ? ReadOf<S> | undefined : never }, known: items };
}

/** Values at many paths (of one or several PStates) with BatchGetItem: 100 keys a request. */
export function getMany<const P extends readonly Path<Schema>[]>(
  paths: P,
  options?: ReadOptions,
): Promise<{ -readonly [I in keyof P]: P[I] extends Path<infer S> ? ReadOf<S> | undefined : never }> {
  return getValues(
    paths.map((p) => p.location()),
    options,
  ) as Promise<{ -readonly [I in keyof P]: P[I] extends Path<infer S> ? ReadOf<S> | undefined : never }>;
}
