// Schema rules and type inference: names, placement of subindexed structures, validation of
// written values, and the TypeScript types reads and writes get from a schema.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  boolean,
  getMany,
  json,
  map,
  number,
  pstate,
  record,
  set,
  string,
  subindexed,
  vector,
  SchemaViolation,
  validate,
  type ReadOf,
  type Sized,
  type ValueOf,
} from '../../../lib/core/pstate/index.ts';

describe('PState declarations', () => {
  it('reject reserved and ambiguous names', () => {
    expect(() => pstate('$ack', map(string(), string()))).toThrow(/\$/);
    expect(() => pstate('$$roomNames', map(string(), string()))).toThrow(/\$/);
    expect(() => pstate('a#b', map(string(), string()))).toThrow(/#/);
    expect(() => pstate('', map(string(), string()))).toThrow();
    expect(pstate('roomNames', map(string(), string())).name).toBe('roomNames');
  });

  it('accept subindexed structures only where they can be items of their own', () => {
    expect(() => pstate('a', map(string(), map(string(), set(string()).subindexed())))).toThrow(/subindexed/);
    expect(() => pstate('b', map(string(), vector(map(string(), number()).subindexed())))).toThrow(/subindexed/);
    expect(() => pstate('c', map(string(), string()).subindexed())).toThrow(/top level/);
    expect(() => pstate('d', map(string(), record({ members: subindexed(map(string(), number())), name: string() })))).not.toThrow();
    expect(() => pstate('e', map(string(), map(string(), vector(string()).subindexed()).subindexed()))).not.toThrow();
    expect(() => record({ 'not an identifier': string() })).toThrow(/identifier/);
    expect(() => map(record({}) as never, string())).toThrow(/key/);
  });

  it('validate written values against the schema', () => {
    const info = record({ kind: json(z.enum(['a', 'b'])), name: string(), open: boolean(), tags: set(string()), scores: map(number(), number()) });
    const good = { kind: 'a', name: 'n', open: true, tags: new Set(['x']), scores: new Map([[1, 2]]) };
    expect(() => validate(info, good, 'info')).not.toThrow();
    expect(() => validate(info, { ...good, kind: 'c' }, 'info')).toThrow(SchemaViolation);
    expect(() => validate(info, { ...good, extra: 1 }, 'info')).toThrow(/unknown field/);
    expect(() => validate(info, { ...good, name: undefined }, 'info')).toThrow(/missing field/);
    expect(() => validate(info, { ...good, scores: new Map([[Number.NaN, 1]]) }, 'info')).toThrow(SchemaViolation);
    expect(() => validate(string(), '\uD800', 's')).toThrow(/surrogate/);
    expect(() => validate(vector(number()), [1, '2'], 'v')).toThrow(SchemaViolation);
  });

  it('infer the types of reads and writes', () => {
    const roomInfo = record({ name: string(), creatorId: string(), members: map(string(), number()).subindexed() });
    expect(roomInfo.fields.members.isSubindexed).toBe(true);
    expectTypeOf<ValueOf<typeof roomInfo>>().toEqualTypeOf<{ name: string; creatorId: string }>();
    expectTypeOf<ReadOf<typeof roomInfo>>().toEqualTypeOf<{ name?: string; creatorId?: string; members?: Sized }>();
    const tokens = pstate('tokens', map(string(), map(string(), vector(string()).subindexed()).subindexed()));
    const req = tokens.key('org').key('req');
    expectTypeOf(req.append).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(req.key(0).get).returns.resolves.toEqualTypeOf<string | undefined>();
    expectTypeOf(tokens.key('org').range).returns.resolves.toHaveProperty('entries').toEqualTypeOf<[string, Sized][]>();
    const rooms = pstate('memberRooms', map(string(), set(string()).subindexed()));
    expectTypeOf(rooms.key('@a').range).returns.resolves.toHaveProperty('entries').toEqualTypeOf<string[]>();
    const pa = pstate('x', map(string(), string())).key('k');
    const pb = pstate('y', map(string(), record({ n: number() }))).key('k').field('n');
    expect(pb.steps).toHaveLength(2);
    expect(pa.steps).toHaveLength(1);
    expectTypeOf<Awaited<ReturnType<typeof getMany<[typeof pa, typeof pb]>>>>().toEqualTypeOf<[string | undefined, number | undefined]>();
    expectTypeOf<ValueOf<ReturnType<typeof map<ReturnType<typeof number>, ReturnType<typeof string>>>>>().toEqualTypeOf<Map<number, string>>();
  });
});
