// Write ops on paths, compiled into table writes (one TransactWriteItems item per touched item).
//
// Sizes of subindexed structures live in the parent item, so whether a write adds a NEW element
// (count + 1) or overwrites one (count unchanged) must be known. Compilation therefore works from
// a consistent read of the element items involved (the "knowledge"), simulates the ops in order,
// and guards every fact it relied on with a condition: element exists / does not exist, vector
// size equals the index being appended. If another writer changes one of those items in between,
// the transaction fails as a whole and the caller compiles again from a fresh read (commit.ts
// does this). Counts are therefore exact under concurrency, and ADD keeps them commutative.
//
// The ops' own conditions are evaluated by DynamoDB against the state before the commit (all ops
// of a commit see the same "before"), and locally against the knowledge when it holds the item.
import type { TableWrite } from '../table-writes.ts';
import { tableName } from '../environment.ts';
import { TTL_ATTRIBUTE } from '../table.ts';
import type { Schema } from './schema.ts';
import { SchemaViolation, validate } from './schema.ts';
import { encodeValue, itemSize, storedEqual, type Item } from './codec.ts';
import {
  assertWritable,
  countAttr,
  countAttrs,
  elementOf,
  itemId,
  leafAttrs,
  valueAttr,
  type ElementRef,
  type ItemKey,
  type Location,
} from './location.ts';
import { ConditionFailedError, ItemTooLargeError, MAX_ITEM_BYTES } from './errors.ts';

/**
 * An op's own condition on the value at its path:
 * - `ifAbsent` / `ifExists`: the value is absent / present;
 * - `ifEquals`: the value equals the given one;
 * - `ifBelow`: the number at the path (or at `field` of the record at the path) is absent or
 *   below the given number: "apply only if my position is past the stored one".
 */
export type Condition =
  | { ifAbsent: true }
  | { ifExists: true }
  | { ifEquals: unknown }
  | { ifBelow: number; field?: string };

export type WriteOp =
  /** `expiresAt` (epoch seconds): the item's DynamoDB TTL, for state that may vanish on its own (top-level items). */
  | { kind: 'set'; loc: Location; value: unknown; condition?: Condition; expiresAt?: number }
  | { kind: 'remove'; loc: Location; condition?: Condition }
  | { kind: 'increment'; loc: Location; by: number; condition?: Condition }
  | { kind: 'append'; loc: Location; value: unknown }
  | { kind: 'add'; loc: Location; element: string | number }
  | { kind: 'delete'; loc: Location; element: string | number }
  /** Writes nothing: the commit holds only if the condition does (a ConditionCheck, or a condition on the item's other write). */
  | { kind: 'check'; loc: Location; condition: Condition };

/**
 * A consistent read of items: the item, `null` when it does not exist. Items not in it are
 * unknown: writes to them are not conditioned on their state.
 */
export type Knowledge = Map<string, Item | null>;

/** The items whose state compiling `op` needs (with `forConditions`, also the targets of conditions). */
/**
 * Whether a set or increment needs no read of its element chain: its own condition (ifEquals,
 * ifExists) can only hold on an existing item, and that item is the innermost element of its path.
 * Whenever such a write applies, the element — and so every element above it — exists already,
 * so no size changes; when it does not, the condition fails and nothing is written.
 */
export function elementImpliedByCondition(op: WriteOp): boolean {
  if (op.kind !== 'set' && op.kind !== 'increment') return false;
  const cond = 'condition' in op ? op.condition : undefined;
  if (!cond || !('ifEquals' in cond || 'ifExists' in cond)) return false;
  const innermost = op.loc.chain.at(-1);
  return innermost !== undefined && itemId(innermost.item) === itemId(op.loc.item);
}

export function itemsToRead(op: WriteOp, forConditions = false): ItemKey[] {
  // A check changes nothing: only its condition's item, when conditions are read.
  if (op.kind === 'check') return forConditions ? [op.loc.item] : [];
  const keys: ItemKey[] = elementImpliedByCondition(op) ? [] : op.loc.chain.map((e) => e.item);
  switch (op.kind) {
    case 'remove': {
      // Deleting a whole top-level value without subindexed parts needs no read: one DeleteItem.
      const plainRoot = op.loc.chain.length === 0 && op.loc.fields.length === 0 && countAttrs(op.loc.node, []).length === 0;
      if (!plainRoot) keys.push(op.loc.item);
      break;
    }
    case 'append':
      keys.push(op.loc.item);
      break;
    case 'add':
    case 'delete':
      keys.push(elementOf(op.loc, op.element).item);
      break;
    default:
      break;
  }
  if (forConditions && 'condition' in op && op.condition) keys.push(op.loc.item);
  return keys;
}

class Placeholders {
  names: Record<string, string> = {};
  values: Record<string, unknown> = {};
  private byName = new Map<string, string>();
  private v = 0;
  name(attr: string): string {
    let p = this.byName.get(attr);
    if (!p) {
      p = `#a${this.byName.size}`;
      this.byName.set(attr, p);
      this.names[p] = attr;
    }
    return p;
  }
  value(v: unknown): string {
    const p = `:v${this.v++}`;
    this.values[p] = v;
    return p;
  }
}

/** Everything one commit does to one item, merged in op order. */
class ItemWrite {
  mode: 'put' | 'update' | 'delete';
  attrs = new Map<string, unknown>();
  sets = new Map<string, unknown>();
  adds = new Map<string, number>();
  removes = new Set<string>();
  conditions: string[] = [];
  readonly ph = new Placeholders();
  guarded = false;
  countGuards = new Set<string>();
  /** Whether any op changes the item (a write that only guards a no-op is not sent). */
  changed = false;
  /** Whether an op's own condition is on this item (checked even if nothing changes). */
  ownCondition = false;

  constructor(
    readonly key: ItemKey,
    initiallyAbsent: boolean,
  ) {
    this.mode = initiallyAbsent ? 'put' : 'update';
  }

  private fromDelete(): void {
    this.changed = true;
    if (this.mode === 'delete') {
      this.mode = 'put';
      this.attrs.clear();
    }
  }

  create(): void {
    this.fromDelete();
  }

  set(attr: string, value: unknown): void {
    this.fromDelete();
    if (this.mode === 'put') {
      this.attrs.set(attr, value);
      return;
    }
    this.adds.delete(attr);
    this.removes.delete(attr);
    this.sets.set(attr, value);
  }

  add(attr: string, by: number): void {
    this.fromDelete();
    if (this.mode === 'put') {
      this.attrs.set(attr, Number(this.attrs.get(attr) ?? 0) + by);
    } else if (this.sets.has(attr)) {
      this.sets.set(attr, Number(this.sets.get(attr)) + by);
    } else if (this.removes.has(attr)) {
      this.removes.delete(attr);
      this.sets.set(attr, by);
    } else {
      this.adds.set(attr, (this.adds.get(attr) ?? 0) + by);
    }
  }

  remove(attr: string): void {
    this.changed = true;
    if (this.mode === 'put') {
      this.attrs.delete(attr);
      return;
    }
    if (this.mode === 'delete') return;
    this.sets.delete(attr);
    this.adds.delete(attr);
    this.removes.add(attr);
  }

  delete(): void {
    this.changed = true;
    this.mode = 'delete';
    this.attrs.clear();
    this.sets.clear();
    this.adds.clear();
    this.removes.clear();
  }

  private exprs() {
    const ph = this.ph;
    return {
      ...(Object.keys(ph.names).length ? { ExpressionAttributeNames: ph.names } : {}),
      ...(Object.keys(ph.values).length ? { ExpressionAttributeValues: ph.values } : {}),
    };
  }

  render(table: string): TableWrite | undefined {
    const ph = this.ph;
    const cond = this.conditions.length ? { ConditionExpression: this.conditions.map((c) => `(${c})`).join(' AND ') } : {};
    if (!this.changed) {
      if (!this.ownCondition) return undefined;
      return { ConditionCheck: { TableName: table, Key: this.key, ConditionExpression: cond.ConditionExpression!, ...this.exprs() } };
    }
    const exprs = () => this.exprs();
    if (this.mode === 'put') {
      const item: Item = { pk: this.key.pk, sk: this.key.sk, ...Object.fromEntries(this.attrs) };
      const bytes = itemSize(item);
      if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(this.key, bytes);
      return { Put: { TableName: table, Item: item, ...cond, ...exprs() } };
    }
    if (this.mode === 'delete') return { Delete: { TableName: table, Key: this.key, ...cond, ...exprs() } };
    const clauses: string[] = [];
    if (this.sets.size) clauses.push('SET ' + [...this.sets].map(([a, v]) => `${ph.name(a)} = ${ph.value(v)}`).join(', '));
    if (this.adds.size) clauses.push('ADD ' + [...this.adds].map(([a, v]) => `${ph.name(a)} ${ph.value(v)}`).join(', '));
    if (this.removes.size) clauses.push('REMOVE ' + [...this.removes].map((a) => ph.name(a)).join(', '));
    const written: Item = { pk: this.key.pk, sk: this.key.sk, ...Object.fromEntries(this.sets) };
    const bytes = itemSize(written);
    if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(this.key, bytes);
    if (!clauses.length) {
      if (!this.conditions.length) return undefined;
      return { ConditionCheck: { TableName: table, Key: this.key, ConditionExpression: cond.ConditionExpression!, ...exprs() } };
    }
    return { Update: { TableName: table, Key: this.key, UpdateExpression: clauses.join(' '), ...cond, ...exprs() } };
  }
}

interface Simulated {
  exists: boolean | undefined;
  counts: Map<string, number>;
}

export interface CompileOptions {
  /** What to do when the knowledge shows an op's own condition fails: throw (default) or drop the op. */
  onConditionFailed?: 'throw' | 'skip';
}

/** Compile ops (in order) into table writes, from knowledge read consistently just before. */
export function compile(ops: readonly WriteOp[], knowledge: Knowledge, options: CompileOptions = {}): TableWrite[] {
  const writes = new Map<string, ItemWrite>();
  const state = new Map<string, Simulated>();
  const initial = (key: ItemKey): Item | null | undefined => knowledge.get(itemId(key));
  const sim = (key: ItemKey): Simulated => {
    const id = itemId(key);
    let s = state.get(id);
    if (!s) {
      const it = initial(key);
      s = { exists: it === undefined ? undefined : it !== null, counts: new Map() };
      state.set(id, s);
    }
    return s;
  };
  const write = (key: ItemKey): ItemWrite => {
    const id = itemId(key);
    let w = writes.get(id);
    if (!w) {
      w = new ItemWrite(key, initial(key) === null);
      writes.set(id, w);
    }
    return w;
  };
  /** Condition the commit on the item's state as read, the first time a decision relies on it. */
  const relyOnExistence = (key: ItemKey): void => {
    const it = initial(key);
    if (it === undefined) return;
    const w = write(key);
    if (w.guarded) return;
    w.guarded = true;
    w.conditions.push(it === null ? `attribute_not_exists(${w.ph.name('pk')})` : `attribute_exists(${w.ph.name('pk')})`);
  };
  const count = (key: ItemKey, attr: string): number => {
    const s = sim(key);
    if (!s.counts.has(attr)) {
      const it = initial(key);
      if (it === undefined) throw new Error(`internal: size ${attr} of ${JSON.stringify(key)} was not read`);
      s.counts.set(attr, Number(it?.[attr] ?? 0));
      if (it !== null) {
        const w = write(key);
        if (!w.countGuards.has(attr)) {
          w.countGuards.add(attr);
          const n = w.ph.name(attr);
          const c = Number(it[attr] ?? 0);
          w.conditions.push(c === 0 ? `attribute_not_exists(${n}) OR ${n} = ${w.ph.value(0)}` : `${n} = ${w.ph.value(c)}`);
        } else {
          // already guarded by an earlier op of this commit
        }
      } else {
        relyOnExistence(key);
      }
    }
    return s.counts.get(attr)!;
  };
  const bumpCount = (owner: ItemKey, attr: string, by: number): void => {
    write(owner).add(attr, by);
    const s = sim(owner);
    if (s.counts.has(attr)) s.counts.set(attr, s.counts.get(attr)! + by);
  };
  /** Make the element items of a path exist, counting each new one in its parent (innermost first). */
  const ensureChain = (chain: readonly ElementRef[]): void => {
    for (let j = chain.length - 1; j >= 0; j--) {
      const el = chain[j]!;
      const s = sim(el.item);
      relyOnExistence(el.item);
      if (s.exists === undefined) throw new Error(`internal: element ${JSON.stringify(el.item)} was not read`);
      if (s.exists) break;
      if (el.structure.kind === 'vector') {
        throw new RangeError(`vector index ${el.item.sk} does not exist: vectors grow by append`);
      }
      s.exists = true;
      write(el.item).create();
      bumpCount(el.owner, el.countAttr, 1);
    }
  };
  const removeElement = (el: ElementRef, node: Schema, checkChildren: boolean): void => {
    const s = sim(el.item);
    relyOnExistence(el.item);
    if (s.exists === undefined) throw new Error(`internal: element ${JSON.stringify(el.item)} was not read`);
    if (!s.exists) return;
    if (checkChildren) guardNoChildren(el.item, node);
    write(el.item).delete();
    s.exists = false;
    s.counts.clear();
    bumpCount(el.owner, el.countAttr, -1);
  };
  /** Removing a value whose subindexed children still have elements would orphan their items. */
  const guardNoChildren = (key: ItemKey, node: Schema): void => {
    for (const attr of countAttrs(node, [])) {
      if (count(key, attr) !== 0) {
        throw new Error(`cannot remove ${JSON.stringify(key)}: its subindexed ${attr} still has elements; remove them first`);
      }
    }
  };

  for (const op of ops) {
    const { loc } = op;
    assertWritable(loc);
    // Not read (see elementImpliedByCondition): the op's condition stands for the element's existence.
    if (elementImpliedByCondition(op) && sim(loc.item).exists === undefined) sim(loc.item).exists = true;
    if ('condition' in op && op.condition) {
      const it = initial(loc.item);
      if (it !== undefined && !holds(op.condition, loc, it)) {
        if (options.onConditionFailed === 'skip') continue;
        throw new ConditionFailedError(`condition ${JSON.stringify(op.condition)} failed on ${loc.pstate} ${JSON.stringify(loc.item)}`);
      }
      const w = write(loc.item);
      w.ownCondition = true;
      w.conditions.push(conditionExpression(op.condition, loc, w));
    }
    switch (op.kind) {
      case 'set': {
        validate(loc.node, op.value, loc.pstate);
        ensureChain(loc.chain);
        const w = write(loc.item);
        w.create();
        for (const leaf of leafAttrs(loc.node, loc.fields)) {
          w.set(leaf.attr, encodeValue(leaf.node, pick(op.value, leaf.fields.slice(loc.fields.length))));
        }
        if (op.expiresAt !== undefined) {
          if (loc.chain.length || loc.fields.length) throw new SchemaViolation(`${loc.pstate}: only a top-level value can expire`);
          w.set(TTL_ATTRIBUTE, op.expiresAt);
        }
        sim(loc.item).exists = true;
        break;
      }
      case 'increment': {
        if (loc.node.kind !== 'number') throw new SchemaViolation(`${loc.pstate}: increment needs a number, found ${loc.node.kind}`);
        if (!Number.isFinite(op.by)) throw new SchemaViolation(`${loc.pstate}: increment by ${op.by}`);
        ensureChain(loc.chain);
        write(loc.item).add(valueAttr(loc.fields), op.by);
        sim(loc.item).exists = true;
        break;
      }
      case 'remove': {
        const whole = loc.fields.length === 0;
        if (whole && loc.element) {
          if (loc.element.structure.kind === 'vector') throw new SchemaViolation(`${loc.pstate}: vector elements cannot be removed (vectors are append-only)`);
          removeElement(loc.element, loc.node, true);
        } else if (whole && loc.chain.length === 0) {
          const s = sim(loc.item);
          if (s.exists === false) break;
          guardNoChildren(loc.item, loc.node);
          relyOnExistence(loc.item);
          write(loc.item).delete();
          s.exists = false;
          s.counts.clear();
        } else {
          if (countAttrs(loc.node, loc.fields).length) throw new SchemaViolation(`${loc.pstate}: this record holds subindexed fields; remove their elements first`);
          const s = sim(loc.item);
          relyOnExistence(loc.item);
          // REMOVE on a missing item would create it (and an element would go uncounted).
          if (s.exists === false) break;
          const w = write(loc.item);
          for (const leaf of leafAttrs(loc.node, loc.fields)) w.remove(leaf.attr);
        }
        break;
      }
      case 'append': {
        if (loc.node.kind !== 'vector' || !loc.node.isSubindexed) throw new SchemaViolation(`${loc.pstate}: append needs a subindexed vector`);
        validate(loc.node.element, op.value, `${loc.pstate}[]`);
        ensureChain(loc.chain);
        const attr = countAttr(loc.fields);
        const index = count(loc.item, attr);
        const el = elementOf(loc, index);
        const w = write(el.item);
        w.create();
        if (!w.guarded) {
          w.guarded = true;
          w.conditions.push(`attribute_not_exists(${w.ph.name('pk')})`);
        }
        for (const leaf of leafAttrs(loc.node.element, [])) w.set(leaf.attr, encodeValue(leaf.node, pick(op.value, leaf.fields)));
        const s = sim(el.item);
        s.exists = true;
        bumpCount(el.owner, el.countAttr, 1);
        break;
      }
      case 'add': {
        if (loc.node.kind !== 'set' || !loc.node.isSubindexed) throw new SchemaViolation(`${loc.pstate}: add needs a subindexed set`);
        ensureChain(loc.chain);
        ensureChain([elementOf(loc, op.element)]);
        break;
      }
      case 'delete': {
        if (loc.node.kind !== 'set' || !loc.node.isSubindexed) throw new SchemaViolation(`${loc.pstate}: delete needs a subindexed set`);
        removeElement(elementOf(loc, op.element), loc.node.element, false);
        break;
      }
      case 'check':
        break;
    }
  }
  const table = tableName();
  return [...writes.values()].map((w) => w.render(table)).filter((w): w is TableWrite => w !== undefined);
}

function pick(value: unknown, fields: readonly string[]): unknown {
  let v = value;
  for (const f of fields) v = (v as Record<string, unknown>)[f];
  return v;
}

function conditionTargets(cond: Condition, loc: Location): { attr: string; node: Schema; fields: string[] }[] {
  if ('ifBelow' in cond) {
    const fields = cond.field === undefined ? loc.fields : [...loc.fields, cond.field];
    const node = cond.field === undefined ? loc.node : loc.node.kind === 'record' ? loc.node.fields[cond.field] : undefined;
    if (!node || node.kind !== 'number') throw new SchemaViolation(`${loc.pstate}: ifBelow needs a number${cond.field ? ` field "${cond.field}"` : ''}`);
    return [{ attr: valueAttr(fields), node, fields }];
  }
  const targets = leafAttrs(loc.node, loc.fields);
  // A JSON value is stored as text, whose bytes depend on its keys' order: equal values could
  // compare unequal. Nothing needs it; refuse it rather than let a condition fail at random.
  if ('ifEquals' in cond && targets.some((t) => t.node.kind === 'json')) {
    throw new SchemaViolation(`${loc.pstate}: ifEquals cannot compare a json() value (stored as text)`);
  }
  return targets;
}

function conditionExpression(cond: Condition, loc: Location, w: ItemWrite): string {
  const targets = conditionTargets(cond, loc);
  const ph = w.ph;
  if ('ifBelow' in cond) {
    const a = ph.name(targets[0]!.attr);
    return `attribute_not_exists(${a}) OR ${a} < ${ph.value(cond.ifBelow)}`;
  }
  if ('ifEquals' in cond) {
    validate(loc.node, cond.ifEquals, loc.pstate);
    if (!targets.length) throw new SchemaViolation(`${loc.pstate}: ifEquals needs a stored value`);
    return targets
      .map((t) => `${ph.name(t.attr)} = ${ph.value(encodeValue(t.node, pick(cond.ifEquals, t.fields.slice(loc.fields.length))))}`)
      .join(' AND ');
  }
  const attrs = targets.length ? targets.map((t) => t.attr) : ['pk'];
  if ('ifAbsent' in cond) return attrs.map((a) => `attribute_not_exists(${ph.name(a)})`).join(' AND ');
  return attrs.map((a) => `attribute_exists(${ph.name(a)})`).join(' OR ');
}

/** Evaluate an op's own condition on an item as read (`null`: the item does not exist). */
export function holds(cond: Condition, loc: Location, item: Item | null): boolean {
  const targets = conditionTargets(cond, loc);
  const it = item ?? {};
  if ('ifBelow' in cond) {
    const v = it[targets[0]!.attr];
    return v === undefined || Number(v) < cond.ifBelow;
  }
  if ('ifEquals' in cond) {
    return targets.length > 0 && targets.every((t) => t.attr in it && storedEqual(it[t.attr], encodeValue(t.node, pick(cond.ifEquals, t.fields.slice(loc.fields.length)))));
  }
  const present = targets.length ? targets.some((t) => t.attr in it) : item !== null;
  return 'ifAbsent' in cond ? !present : present;
}
