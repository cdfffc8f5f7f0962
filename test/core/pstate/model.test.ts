// Property tests: random sequences of writes (single ops and small atomic groups) run against
// DynamoDB Local through the library and against the in-memory reference model; every read after
// every commit, and full reads (counts, every range page) at the end, must agree.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  commit,
  ConditionFailedError,
  map,
  number,
  pstate,
  record,
  set,
  string,
  vector,
  type Condition,
  type Path,
  type Schema,
  type WriteOp,
} from '../../../lib/core/pstate/index.ts';
import { ModelConditionFailed, ModelError, ReferenceModel, type ModelOp } from './reference-model.ts';
import { createTestTable } from './table.ts';

beforeAll(async () => {
  await createTestTable('pstate-model');
});

// Awkward keys: empty, `#`, control characters, unicode, keys that are prefixes of others.
const topKeys = ['', '#', 'k', 'k#', '😀'];
const innerKeys = ['', '#', 'a', 'a#', 'ab', 'b', '\u0000', '\u0001x', 'é', '😀', '\uffff'];
const numberKeys = [-1e20, -1.5, 0, 0.5, 1, 2, 10];

type AnyPath = Path<Schema>;
interface Pair {
  store: WriteOp;
  model: ModelOp;
}

const steps = (p: AnyPath) => [...p.steps];
const setOp = (p: AnyPath, value: unknown, condition?: Condition): Pair => ({
  store: (p as Path<Schema>).set(value as never, condition),
  model: { kind: 'set', steps: steps(p), value, ...(condition ? { condition } : {}) },
});
const removeOp = (p: AnyPath, condition?: Condition): Pair => ({
  store: p.remove(condition),
  model: { kind: 'remove', steps: steps(p), ...(condition ? { condition } : {}) },
});
const incOp = (p: AnyPath, by: number, condition?: Condition): Pair => ({
  store: (p as unknown as Path<ReturnType<typeof number>>).increment(by, condition),
  model: { kind: 'increment', steps: steps(p), by, ...(condition ? { condition } : {}) },
});
const appendOp = (p: AnyPath, value: unknown): Pair => ({
  store: p.append(value as never),
  model: { kind: 'append', steps: steps(p), value },
});
const addOp = (p: AnyPath, element: string | number): Pair => ({ store: p.add(element as never), model: { kind: 'add', steps: steps(p), element } });
const delOp = (p: AnyPath, element: string | number): Pair => ({ store: p.delete(element as never), model: { kind: 'delete', steps: steps(p), element } });

/** Apply a group of ops to both sides; both must succeed, or fail the same way and change nothing. */
async function applyBoth(model: ReferenceModel, group: Pair[]): Promise<void> {
  let modelError: unknown;
  try {
    model.commit(group.map((g) => g.model));
  } catch (err) {
    modelError = err;
  }
  let storeError: unknown;
  try {
    await commit(group.map((g) => g.store));
  } catch (err) {
    storeError = err;
  }
  if (modelError instanceof ModelConditionFailed) expect(storeError).toBeInstanceOf(ConditionFailedError);
  else if (modelError instanceof ModelError) expect(storeError).toBeInstanceOf(Error);
  else if (modelError) throw modelError;
  else if (storeError) throw storeError;
}

interface RangeArgs {
  from?: string | number;
  fromInclusive?: boolean;
  to?: string | number;
  toInclusive?: boolean;
  reverse?: boolean;
  limit: number;
}

const rangeArgs = (keys: readonly (string | number)[]) =>
  fc.record(
    {
      from: fc.constantFrom(...keys),
      fromInclusive: fc.boolean(),
      to: fc.constantFrom(...keys),
      toInclusive: fc.boolean(),
      reverse: fc.boolean(),
      limit: fc.integer({ min: 1, max: 3 }),
    },
    { requiredKeys: ['limit', 'reverse'] },
  );

/** Page through a range with the cursor; the pages together must equal the model's range. */
async function checkRange(model: ReferenceModel, p: AnyPath, args: RangeArgs): Promise<void> {
  const expected = model.range(p.steps, args);
  const got: unknown[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await p.range({ ...args, ...(cursor ? { cursor } : {}), consistent: true } as never);
    expect(page.entries.length).toBeLessThanOrEqual(args.limit);
    got.push(...page.entries);
    cursor = page.cursor;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (cursor);
  expect(got).toEqual(expected);
  expect(pages).toBe(Math.max(1, Math.ceil(expected.length / args.limit)));
  // entries() walks the same pages itself.
  expect(await p.entries({ ...args, consistent: true } as never)).toEqual(expected);
}

let runs = 0;
const fresh = (prefix: string) => `${prefix}${runs++}`;

/** Group ops: most commits are one op, some are atomic groups of two or three. */
const grouped = <T>(op: fc.Arbitrary<T>) => fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 });

const settings = { numRuns: 15 };

describe('PStates agree with the reference model', () => {
  it('top-level map of scalars: set, increment, remove, conditions', async () => {
    const cond = fc.option(
      fc.oneof(
        fc.constant<Condition>({ ifAbsent: true }),
        fc.constant<Condition>({ ifExists: true }),
        fc.integer({ min: -2, max: 5 }).map<Condition>((n) => ({ ifBelow: n })),
        fc.integer({ min: -2, max: 5 }).map<Condition>((n) => ({ ifEquals: n })),
      ),
      { nil: undefined },
    );
    const op = fc.record({ kind: fc.constantFrom('set', 'inc', 'remove'), key: fc.constantFrom(...innerKeys), n: fc.integer({ min: -2, max: 5 }), cond });
    await fc.assert(
      fc.asyncProperty(grouped(op), async (groups) => {
        const ps = pstate(fresh('scalars'), map(string(), number()));
        const model = new ReferenceModel(ps.schema);
        for (const g of groups) {
          // Own conditions see the state before the commit, so they are tested on single-op commits.
          const pairs = g.map((o) => {
            const c = g.length === 1 ? (o.cond ?? undefined) : undefined;
            const p = ps.key(o.key);
            return o.kind === 'set' ? setOp(p, o.n, c) : o.kind === 'inc' ? incOp(p, o.n, c) : removeOp(p, c);
          });
          await applyBoth(model, pairs);
          for (const o of g) expect(await ps.key(o.key).get({ consistent: true })).toEqual(model.get(ps.key(o.key).steps));
        }
        for (const k of innerKeys) expect(await ps.key(k).get({ consistent: true })).toEqual(model.get(ps.key(k).steps));
      }),
      settings,
    );
  });

  it('top-level map of records: whole records, fields, increments, position guards', async () => {
    const rec = record({ name: string(), pos: number() });
    const op = fc.record({
      kind: fc.constantFrom('set', 'setName', 'incPos', 'removeName', 'remove', 'guarded'),
      key: fc.constantFrom(...topKeys),
      name: fc.constantFrom('', 'x', 'y#'),
      pos: fc.integer({ min: 0, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(grouped(op), async (groups) => {
        const ps = pstate(fresh('records'), map(string(), rec));
        const model = new ReferenceModel(ps.schema);
        for (const g of groups) {
          const pairs = g.map((o) => {
            const p = ps.key(o.key);
            switch (o.kind) {
              case 'set':
                return setOp(p, { name: o.name, pos: o.pos });
              case 'setName':
                return setOp(p.field('name'), o.name);
              case 'incPos':
                return incOp(p.field('pos'), 1);
              case 'removeName':
                return removeOp(p.field('name'));
              case 'remove':
                return removeOp(p);
              default:
                // "apply only if my position is past the stored one"
                return setOp(p, { name: o.name, pos: o.pos }, g.length === 1 ? { ifBelow: o.pos, field: 'pos' } : undefined);
            }
          });
          await applyBoth(model, pairs);
        }
        for (const k of topKeys) {
          expect(await ps.key(k).get({ consistent: true })).toEqual(model.get(ps.key(k).steps));
          expect(await ps.key(k).field('pos').get({ consistent: true })).toEqual(model.get(ps.key(k).field('pos').steps));
        }
      }),
      settings,
    );
  });

  it('map → subindexed map (string keys): counts, membership, ranges', async () => {
    const op = fc.record({ kind: fc.constantFrom('set', 'set', 'inc', 'remove'), top: fc.constantFrom('', '#', '😀'), key: fc.constantFrom(...innerKeys), n: fc.integer({ min: 0, max: 9 }) });
    await fc.assert(
      fc.asyncProperty(grouped(op), fc.array(rangeArgs(innerKeys), { minLength: 2, maxLength: 4 }), async (groups, ranges) => {
        const ps = pstate(fresh('submap'), map(string(), map(string(), number()).subindexed()));
        const model = new ReferenceModel(ps.schema);
        for (const g of groups) {
          const pairs = g.map((o) => {
            const p = ps.key(o.top).key(o.key);
            return o.kind === 'set' ? setOp(p, o.n) : o.kind === 'inc' ? incOp(p, 1) : removeOp(p);
          });
          await applyBoth(model, pairs);
          const top = ps.key(g[0]!.top);
          expect(await top.count({ consistent: true })).toBe(model.count(top.steps));
        }
        for (const t of ['', '#', '😀']) {
          const p = ps.key(t);
          expect(await p.get({ consistent: true })).toEqual(model.get(p.steps));
          expect(await p.count({ consistent: true })).toBe(model.count(p.steps));
          for (const k of innerKeys) expect(await p.has(k, { consistent: true })).toBe(model.has(p.steps, k));
          await checkRange(model, p, { limit: 4 });
          for (const r of ranges) await checkRange(model, p, r);
        }
      }),
      settings,
    );
  });

  it('map → subindexed map of records: conditional field writes inside elements (no chain read for ifEquals/ifExists)', async () => {
    const rec = record({ cursor: string(), n: number() });
    const cond = fc.option(
      fc.oneof(
        fc.constant<Condition>({ ifAbsent: true }),
        fc.constant<Condition>({ ifExists: true }),
        fc.constantFrom('', 'a', 'b').map<Condition>((c) => ({ ifEquals: c })),
      ),
      { nil: undefined },
    );
    const op = fc.record({
      kind: fc.constantFrom('set', 'setCursor', 'setCursor', 'incN', 'remove'),
      key: fc.constantFrom(...innerKeys.slice(0, 3)),
      cursor: fc.constantFrom('', 'a', 'b'),
      n: fc.integer({ min: 0, max: 3 }),
      cond,
    });
    await fc.assert(
      fc.asyncProperty(grouped(op), async (groups) => {
        const ps = pstate(fresh('condel'), map(string(), map(string(), rec).subindexed()));
        const model = new ReferenceModel(ps.schema);
        const top = ps.key('u');
        for (const g of groups) {
          const pairs = g.map((o) => {
            const el = top.key(o.key);
            // Own conditions see the state before the commit, so they are tested on single-op commits.
            const c = g.length === 1 ? (o.cond ?? undefined) : undefined;
            if (o.kind === 'set') return setOp(el, { cursor: o.cursor, n: o.n });
            if (o.kind === 'setCursor') return setOp(el.field('cursor'), o.cursor, c);
            if (o.kind === 'incN') return incOp(el.field('n'), 1, c && 'ifEquals' in c ? undefined : c);
            return removeOp(el);
          });
          await applyBoth(model, pairs);
          expect(await top.count({ consistent: true })).toBe(model.count(top.steps));
        }
        expect(await top.get({ consistent: true })).toEqual(model.get(top.steps));
        for (const k of innerKeys.slice(0, 3)) expect(await top.has(k, { consistent: true })).toBe(model.has(top.steps, k));
        await checkRange(model, top, { limit: 2 });
      }),
      settings,
    );
  });

  it('map → subindexed map (number keys) orders numerically', async () => {
    const op = fc.record({ kind: fc.constantFrom('set', 'remove'), key: fc.constantFrom(...numberKeys), v: fc.constantFrom('', 'v', '#') });
    await fc.assert(
      fc.asyncProperty(grouped(op), fc.array(rangeArgs(numberKeys), { minLength: 2, maxLength: 4 }), async (groups, ranges) => {
        const ps = pstate(fresh('numkeys'), map(number(), map(number(), string()).subindexed()));
        const model = new ReferenceModel(ps.schema);
        const p = ps.key(-0.25);
        for (const g of groups) await applyBoth(model, g.map((o) => (o.kind === 'set' ? setOp(p.key(o.key), o.v) : removeOp(p.key(o.key)))));
        expect(await p.count({ consistent: true })).toBe(model.count(p.steps));
        await checkRange(model, p, { limit: 10 });
        for (const r of ranges) await checkRange(model, p, r);
      }),
      settings,
    );
  });

  it('map → subindexed set: add, delete, counts, membership, ranges', async () => {
    const op = fc.record({ kind: fc.constantFrom('add', 'add', 'delete'), top: fc.constantFrom('k', 'k#'), e: fc.constantFrom(...innerKeys) });
    await fc.assert(
      fc.asyncProperty(grouped(op), fc.array(rangeArgs(innerKeys), { minLength: 2, maxLength: 4 }), async (groups, ranges) => {
        const ps = pstate(fresh('subset'), map(string(), set(string()).subindexed()));
        const model = new ReferenceModel(ps.schema);
        for (const g of groups) {
          await applyBoth(model, g.map((o) => (o.kind === 'add' ? addOp(ps.key(o.top), o.e) : delOp(ps.key(o.top), o.e))));
        }
        for (const t of ['k', 'k#']) {
          const p = ps.key(t);
          expect(await p.count({ consistent: true })).toBe(model.count(p.steps));
          for (const e of innerKeys) expect(await p.has(e, { consistent: true })).toBe(model.has(p.steps, e));
          for (const r of ranges) await checkRange(model, p, r);
        }
      }),
      settings,
    );
  });

  it('map → subindexed vector: append (also several in one commit), set and increment existing indexes', async () => {
    const op = fc.record({ kind: fc.constantFrom('append', 'append', 'set', 'inc'), i: fc.integer({ min: 0, max: 6 }), v: fc.integer({ min: 0, max: 99 }) });
    await fc.assert(
      fc.asyncProperty(grouped(op), fc.array(rangeArgs([0, 1, 2, 3, 5, 8]), { minLength: 2, maxLength: 4 }), async (groups, ranges) => {
        const ps = pstate(fresh('subvec'), map(string(), vector(number()).subindexed()));
        const model = new ReferenceModel(ps.schema);
        const p = ps.key('#');
        for (const g of groups) {
          await applyBoth(
            model,
            g.map((o) => (o.kind === 'append' ? appendOp(p, o.v) : o.kind === 'set' ? setOp(p.key(o.i), o.v) : incOp(p.key(o.i), 1))),
          );
        }
        expect(await p.count({ consistent: true })).toBe(model.count(p.steps));
        await checkRange(model, p, { limit: 3 });
        for (const r of ranges) await checkRange(model, p, r);
      }),
      settings,
    );
  });

  it('nested subindexed: map → subindexed map → subindexed vector (the LLM-token shape)', async () => {
    const requests = ['', 'r', 'r#', 'r1', '😀'];
    const op = fc.record({ kind: fc.constantFrom('append', 'append', 'append', 'remove'), req: fc.constantFrom(...requests), t: fc.constantFrom('', 'tok', '#') });
    await fc.assert(
      fc.asyncProperty(grouped(op), fc.array(rangeArgs(requests), { minLength: 1, maxLength: 3 }), async (groups, ranges) => {
        const ps = pstate(fresh('llm'), map(string(), map(string(), vector(string()).subindexed()).subindexed()));
        const model = new ReferenceModel(ps.schema);
        const org = ps.key('org#1');
        for (const g of groups) {
          // Removing a request that still has tokens is refused on both sides.
          await applyBoth(model, g.map((o) => (o.kind === 'append' ? appendOp(org.key(o.req), o.t) : removeOp(org.key(o.req)))));
        }
        expect(await org.count({ consistent: true })).toBe(model.count(org.steps));
        await checkRange(model, org, { limit: 2 });
        for (const r of ranges) await checkRange(model, org, r);
        for (const req of requests) {
          expect(await org.key(req).count({ consistent: true })).toBe(model.count(org.key(req).steps));
          await checkRange(model, org.key(req), { limit: 2, reverse: true });
        }
      }),
      settings,
    );
  });
});
