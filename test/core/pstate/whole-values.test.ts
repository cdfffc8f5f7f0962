// Values stored whole (maps, sets, vectors, nested records, JSON inside an item) round-trip
// through DynamoDB, can be read inside, and cannot be written inside.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boolean, commit, json, map, number, pstate, record, set, string, vector, SchemaViolation } from '../../../lib/core/pstate/index.ts';
import { createTestTable } from './table.ts';

beforeAll(async () => {
  await createTestTable('pstate-whole');
});

const profile = pstate(
  'profile',
  map(
    number(),
    record({
      tags: set(string()),
      scores: map(number(), string()),
      history: vector(json(z.object({ at: z.number(), note: z.string().optional() }))),
      flags: record({ admin: boolean(), level: number() }),
      rooms: set(string()).subindexed(),
    }),
  ),
);

describe('values stored whole', () => {
  it('round-trip and read inside', async () => {
    const value = {
      tags: new Set(['b', '', 'a#']),
      scores: new Map([
        [10, 'ten'],
        [-1, 'minus one'],
      ]),
      history: [{ at: 1 }, { at: 2, note: 'n' }],
      flags: { admin: false, level: 3 },
    };
    const p = profile.key(-7.5);
    await commit([p.set(value), p.field('rooms').add('!r')]);
    expect(await p.get({ consistent: true })).toEqual({ ...value, rooms: { count: 1 } });
    expect(await p.field('scores').key(10).get({ consistent: true })).toBe('ten');
    expect(await p.field('history').key(1).get({ consistent: true })).toEqual({ at: 2, note: 'n' });
    expect(await p.field('flags').field('level').get({ consistent: true })).toBe(3);
    await commit([p.field('flags').field('level').increment(2)]);
    expect(await p.field('flags').get({ consistent: true })).toEqual({ admin: false, level: 5 });
    expect(await p.field('rooms').count({ consistent: true })).toBe(1);
    // Writes go to whole values; inside a whole map there is no item to write to.
    await expect(commit([p.field('scores').key(10).set('x')])).rejects.toBeInstanceOf(SchemaViolation);
    // A record holding a non-empty subindexed set cannot be removed whole.
    await expect(commit([p.remove()])).rejects.toThrow(/subindexed/);
    await commit([p.field('rooms').delete('!r')]);
    await commit([p.remove()]);
    expect(await p.get({ consistent: true })).toBeUndefined();
  });
});
