// A plain in-memory model of a PState with the documented semantics: what a sequence of writes
// must leave behind and what reads must return. Property tests run the same ops against it and
// against DynamoDB Local. It knows nothing of items, attributes or key encodings.
import type { Schema } from '../../../lib/core/pstate/schema.ts';
import type { Condition } from '../../../lib/core/pstate/writes.ts';
import type { Step } from '../../../lib/core/pstate/location.ts';

export type ModelOp =
  | { kind: 'set'; steps: Step[]; value: unknown; condition?: Condition }
  | { kind: 'remove'; steps: Step[]; condition?: Condition }
  | { kind: 'increment'; steps: Step[]; by: number; condition?: Condition }
  | { kind: 'append'; steps: Step[]; value: unknown }
  | { kind: 'add'; steps: Step[]; element: string | number }
  | { kind: 'delete'; steps: Step[]; element: string | number };

export class ModelError extends Error {}
export class ModelConditionFailed extends Error {}

/** The documented key order, computed independently: numbers numerically, strings by code point. */
export function keyOrder(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = Array.from(String(a), (c) => c.codePointAt(0)!);
  const y = Array.from(String(b), (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function emptyFor(node: Schema): unknown {
  if (node.isSubindexed) return node.kind === 'map' ? new Map() : node.kind === 'set' ? new Set() : [];
  if (node.kind === 'record') return {};
  return undefined;
}

function child(node: Schema, step: Step): Schema {
  if (node.kind === 'map') return node.value;
  if (node.kind === 'vector') return node.element;
  if (node.kind === 'record' && step.kind === 'field') return node.fields[step.name]!;
  throw new ModelError(`cannot step into ${node.kind}`);
}

type Container = Map<unknown, unknown> | unknown[] | Record<string, unknown>;

function getIn(c: Container, step: Step): unknown {
  if (c instanceof Map) return c.get(step.kind === 'key' ? step.key : undefined);
  if (Array.isArray(c)) return c[step.kind === 'key' ? (step.key as number) : -1];
  return step.kind === 'field' ? c[step.name] : undefined;
}

function putIn(c: Container, step: Step, v: unknown): void {
  if (c instanceof Map) c.set(step.kind === 'key' ? step.key : undefined, v);
  else if (Array.isArray(c)) c[(step as { key: number }).key] = v;
  else c[(step as { name: string }).name] = v;
}

function deleteIn(c: Container, step: Step): void {
  if (c instanceof Map) c.delete(step.kind === 'key' ? step.key : undefined);
  else if (!Array.isArray(c) && step.kind === 'field') delete c[step.name];
}

function sizeOf(v: unknown): number {
  return v instanceof Map || v instanceof Set ? v.size : Array.isArray(v) ? v.length : 0;
}

/** How a value reads: subindexed parts as `{ count }`, records as their present fields. */
export function readValue(node: Schema, v: unknown, nested = false): unknown {
  // A missing element or partition reads as absent; a subindexed field of a present record as empty.
  if (node.isSubindexed) return v === undefined && !nested ? undefined : { count: sizeOf(v) };
  if (node.kind === 'record') {
    if (v === undefined) return undefined;
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(node.fields)) {
      const r = readValue(f, (v as Record<string, unknown>)[name], true);
      if (r !== undefined) out[name] = r;
    }
    return nested && Object.keys(out).length === 0 ? undefined : out;
  }
  return v === undefined ? undefined : structuredClone(v);
}

function hasSubindexedElements(node: Schema, v: unknown): boolean {
  if (v === undefined) return false;
  if (node.isSubindexed) return sizeOf(v) > 0;
  if (node.kind === 'record') return Object.entries(node.fields).some(([n, f]) => hasSubindexedElements(f, (v as Record<string, unknown>)[n]));
  return false;
}

export class ReferenceModel {
  /** The whole PState as a plain value (a Map for a top-level map). */
  root: unknown;

  constructor(readonly schema: Schema) {
    this.root = schema.kind === 'map' ? new Map() : emptyFor(schema);
  }

  /** Navigate without creating: the node and value at the steps (undefined if any part is missing). */
  private find(steps: readonly Step[]): { node: Schema; value: unknown } {
    let node = this.schema;
    let value: unknown = this.root;
    for (const step of steps) {
      const next = child(node, step);
      value = value === undefined ? undefined : getIn(value as Container, step);
      node = next;
    }
    return { node, value };
  }

  /** Navigate creating missing containers; vector elements are never created here. */
  private locate(steps: readonly Step[]): { parent: Container; step: Step; node: Schema } {
    let node = this.schema;
    let value = this.root as Container;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const next = child(node, step);
      if (i === steps.length - 1) return { parent: value, step, node: next };
      let v = getIn(value, step);
      if (v === undefined) {
        if (node.kind === 'vector') throw new ModelError('vector index out of range');
        v = emptyFor(next) ?? {};
        putIn(value, step, v);
      }
      value = v as Container;
      node = next;
    }
    throw new ModelError('empty path');
  }

  get(steps: readonly Step[]): unknown {
    const { node, value } = this.find(steps);
    return readValue(node, value);
  }

  count(steps: readonly Step[]): number {
    return sizeOf(this.find(steps).value);
  }

  has(steps: readonly Step[], key: string | number): boolean {
    const v = this.find(steps).value;
    return v instanceof Map ? v.has(key) : v instanceof Set ? v.has(key) : false;
  }

  /** All entries of a subindexed structure within bounds, in order (reverse: descending). */
  range(
    steps: readonly Step[],
    o: { from?: string | number; fromInclusive?: boolean; to?: string | number; toInclusive?: boolean; reverse?: boolean },
  ): unknown[] {
    const { node, value } = this.find(steps);
    let entries: [string | number, unknown][];
    if (value instanceof Map) entries = [...value].map(([k, v]) => [k as string | number, v]);
    else if (value instanceof Set) entries = [...value].map((k) => [k as string | number, undefined]);
    else if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else entries = [];
    entries.sort(([a], [b]) => keyOrder(a, b));
    entries = entries.filter(([k]) => {
      if (o.from !== undefined) {
        const c = keyOrder(k, o.from);
        if (o.fromInclusive === false ? c <= 0 : c < 0) return false;
      }
      if (o.to !== undefined) {
        const c = keyOrder(k, o.to);
        if (o.toInclusive ? c > 0 : c >= 0) return false;
      }
      return true;
    });
    if (o.reverse) entries.reverse();
    if (node.kind === 'set') return entries.map(([k]) => k);
    const valueNode = node.kind === 'map' ? node.value : (node as { element: Schema }).element;
    return entries.map(([k, v]) => [k, readValue(valueNode, v)]);
  }

  /** Apply ops atomically: all or none (an error leaves the model unchanged). */
  commit(ops: readonly ModelOp[]): void {
    const before = structuredClone(this.root);
    try {
      for (const op of ops) this.apply(op);
    } catch (err) {
      this.root = before;
      throw err;
    }
  }

  private holds(cond: Condition, node: Schema, value: unknown): boolean {
    if ('ifBelow' in cond) {
      const v = cond.field === undefined ? value : (value as Record<string, unknown> | undefined)?.[cond.field];
      return v === undefined || (v as number) < cond.ifBelow;
    }
    const read = readValue(node, value);
    const present = node.kind === 'record' ? read !== undefined && Object.keys(read as object).length > 0 : read !== undefined;
    if ('ifAbsent' in cond) return !present;
    if ('ifExists' in cond) return present;
    return present && JSON.stringify(read) === JSON.stringify(cond.ifEquals);
  }

  private apply(op: ModelOp): void {
    if ('condition' in op && op.condition) {
      const { node, value } = this.find(op.steps);
      if (!this.holds(op.condition, node, value)) throw new ModelConditionFailed();
    }
    switch (op.kind) {
      case 'set': {
        const { parent, step, node } = this.locate(op.steps);
        if (Array.isArray(parent) && (step as { key: number }).key >= parent.length) throw new ModelError('vector index out of range');
        if (node.kind === 'record') {
          const rec = (getIn(parent, step) as Record<string, unknown> | undefined) ?? {};
          for (const [name, f] of Object.entries(node.fields)) if (!f.isSubindexed) rec[name] = structuredClone((op.value as Record<string, unknown>)[name]);
          putIn(parent, step, rec);
        } else {
          putIn(parent, step, structuredClone(op.value));
        }
        return;
      }
      case 'increment': {
        const { parent, step } = this.locate(op.steps);
        if (Array.isArray(parent) && (step as { key: number }).key >= parent.length) throw new ModelError('vector index out of range');
        putIn(parent, step, ((getIn(parent, step) as number | undefined) ?? 0) + op.by);
        return;
      }
      case 'remove': {
        const { node, value } = this.find(op.steps);
        if (value === undefined) return;
        if (hasSubindexedElements(node, value)) throw new ModelError('remove the subindexed elements first');
        const parent = this.find(op.steps.slice(0, -1)).value as Container;
        deleteIn(parent, op.steps[op.steps.length - 1]!);
        return;
      }
      case 'append': {
        const { parent, step, node } = this.locate(op.steps);
        let v = getIn(parent, step) as unknown[] | undefined;
        if (!v) putIn(parent, step, (v = emptyFor(node) as unknown[]));
        v.push(structuredClone(op.value));
        return;
      }
      case 'add': {
        const { parent, step, node } = this.locate(op.steps);
        let v = getIn(parent, step) as Set<unknown> | undefined;
        if (!v) putIn(parent, step, (v = emptyFor(node) as Set<unknown>));
        v.add(op.element);
        return;
      }
      case 'delete': {
        const v = this.find(op.steps).value as Set<unknown> | undefined;
        v?.delete(op.element);
        return;
      }
    }
  }
}
