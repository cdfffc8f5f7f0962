// Two writes a derived index needs: `check` (a commit holds only if another item still says what
// was read, without writing it) and `moveElements` (elements of a subindexed map re-keyed without a
// read, the map's size unchanged, a repeated move a no-op).
import { beforeAll, describe, expect, it } from 'vitest';
import { commit, ConditionFailedError, map, moveElements, number, pstate, record, string } from '../../../lib/core/pstate/index.ts';
import { createTestTable } from './table.ts';

const heads = pstate('heads', map(string(), record({ stamp: number(), name: string() })));
const index = pstate('index', map(string(), map(string(), string()).subindexed()));

beforeAll(async () => {
  await createTestTable('pstate-check-move');
});

describe('check and moveElements', () => {
  it('a check holds a commit to what another item said, and writes nothing to it', async () => {
    await commit([heads.key('r').set({ stamp: 1, name: 'a' })]);
    await commit([heads.key('r').field('stamp').check({ ifEquals: 1 }), index.key('u').key('1').set('join')]);
    expect(await index.key('u').count({ consistent: true })).toBe(1);
    await commit([heads.key('r').field('stamp').set(2)]);
    await expect(commit([heads.key('r').field('stamp').check({ ifEquals: 1 }), index.key('u').key('x').set('join')])).rejects.toThrow(ConditionFailedError);
    expect(await index.key('u').count({ consistent: true })).toBe(1);
    expect(await index.key('u').entries({ consistent: true })).toEqual([['1', 'join']]);
    // Absent: ifAbsent holds, and the checked item is not created.
    await commit([heads.key('none').check({ ifAbsent: true }), index.key('u').key('2').set('invite')]);
    expect(await heads.key('none').get({ consistent: true })).toBeUndefined();
    expect(await index.key('u').count({ consistent: true })).toBe(2);
  });

  it('moves elements to new keys, size unchanged, twice the same as once', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await commit(users.map((u) => index.key(u).key('old').set('join')));
    const moves = users.map((u) => ({ from: index.key(u).key('old').location(), to: index.key(u).key('new').location(), value: 'join' }));
    await moveElements(moves);
    await moveElements(moves);
    for (const u of users) {
      expect(await index.key(u).entries({ consistent: true })).toEqual([['new', 'join']]);
      expect(await index.key(u).count({ consistent: true })).toBe(1);
    }
    await expect(moveElements([{ from: index.key('m0').key('new').location(), to: heads.key('m0').location(), value: { stamp: 1, name: 'x' } }])).rejects.toThrow(/same map/);
  });
});
