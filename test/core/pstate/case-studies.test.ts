// The PStates of both case studies (shared/seeds), declared with this library, and every query
// the case studies name: lookups, whole records, one field, a subset of fields, counts, ranges,
// membership.
import { beforeAll, describe, expect, it } from 'vitest';
import { commit, getMany, map, number, pstate, record, set, string, vector, json } from '../../../lib/core/pstate/index.ts';
import { z } from 'zod';
import { createTestTable } from './table.ts';

const roomType = json(z.enum(['chat', 'space']));
const joinRule = json(z.enum(['public', 'invite']));

// Rama spells these `$$roomNames` etc.; Axon reserves `$` for the core's own items.
const roomNames = pstate('roomNames', map(string(), string()));
const roomInfo = pstate('roomInfo', map(string(), record({ roomType, joinRule, name: string(), creatorId: string() })));
const roomMembers = pstate('roomMembers', map(string(), map(string(), number()).subindexed()));
const memberRooms = pstate('memberRooms', map(string(), set(string()).subindexed()));
const llmTokens = pstate('llmTokens', map(string(), map(string(), vector(string()).subindexed()).subindexed()));

beforeAll(async () => {
  await createTestTable('pstate-cases');
});

describe('first case study (chat)', () => {
  it('$$roomNames: lookup by name', async () => {
    await commit([roomNames.key('lobby').set('!r1'), roomNames.key('random').set('!r2')]);
    expect(await roomNames.key('lobby').get()).toBe('!r1');
    expect(await roomNames.key('random').get({ consistent: true })).toBe('!r2');
    expect(await roomNames.key('nope').get()).toBeUndefined();
    await commit([roomNames.key('lobby').remove()]);
    expect(await roomNames.key('lobby').get()).toBeUndefined();
  });

  it('$$roomInfo: whole record, one field, a subset of fields', async () => {
    const info = { roomType: 'chat' as const, joinRule: 'public' as const, name: 'Lobby', creatorId: '@alice' };
    await commit([roomInfo.key('!r1').set(info)]);
    expect(await roomInfo.key('!r1').get()).toEqual(info);
    expect(await roomInfo.key('!r1').field('name').get()).toBe('Lobby');
    expect(await roomInfo.key('!r1').fields(['name', 'creatorId'])).toEqual({ name: 'Lobby', creatorId: '@alice' });
    await commit([roomInfo.key('!r1').field('joinRule').set('invite')]);
    expect(await roomInfo.key('!r1').field('joinRule').get()).toBe('invite');
    expect(await roomInfo.key('!r1').get()).toEqual({ ...info, joinRule: 'invite' });
    expect(await roomInfo.key('!none').get()).toBeUndefined();
    // The zod schema is enforced on write.
    expect(() => roomInfo.key('!r1').field('joinRule').set('knock' as 'invite')).not.toThrow();
    await expect(commit([roomInfo.key('!r1').field('joinRule').set('knock' as 'invite')])).rejects.toThrow(/joinRule|Invalid/);
  });

  it('$$roomMembers: count, range, lookup of a power level, membership', async () => {
    const members = roomMembers.key('!r1');
    await commit([members.key('@alice').set(100), members.key('@bob').set(0), members.key('@carol').set(50)]);
    await commit([members.key('@bob').set(10)]); // overwrite: count unchanged
    expect(await members.count()).toBe(3);
    expect(await members.key('@carol').get()).toBe(50);
    expect(await members.has('@bob')).toBe(true);
    expect(await members.has('@dave')).toBe(false);
    const page1 = await members.range({ limit: 2 });
    expect(page1.entries).toEqual([['@alice', 100], ['@bob', 10]]);
    const page2 = await members.range({ limit: 2, cursor: page1.cursor! });
    expect(page2.entries).toEqual([['@carol', 50]]);
    expect(page2.cursor).toBeUndefined();
    expect((await members.range({ from: '@b', reverse: true })).entries.map(([k]) => k)).toEqual(['@carol', '@bob']);
    await commit([members.key('@bob').remove(), members.key('@zed').remove()]);
    expect(await members.count()).toBe(2);
    expect(await roomMembers.key('!r1').get()).toEqual({ count: 2 });
  });

  it('$$memberRooms: count, range, membership', async () => {
    const rooms = memberRooms.key('@alice');
    await commit([rooms.add('!r1'), rooms.add('!r2'), rooms.add('!r3')]);
    await commit([rooms.add('!r2')]); // already there: count unchanged
    expect(await rooms.count()).toBe(3);
    expect(await rooms.has('!r2')).toBe(true);
    expect((await rooms.range({ from: '!r2', toInclusive: true, to: '!r3' })).entries).toEqual(['!r2', '!r3']);
    await commit([rooms.delete('!r2'), rooms.delete('!r9')]);
    expect(await rooms.count()).toBe(2);
    expect(await rooms.has('!r2')).toBe(false);
    expect((await rooms.range()).entries).toEqual(['!r1', '!r3']);
  });

  it('reads many keys at once', async () => {
    await commit([roomNames.key('a').set('!a'), roomNames.key('b').set('!b')]);
    expect(await getMany([roomNames.key('a'), roomNames.key('missing'), roomNames.key('b')])).toEqual(['!a', undefined, '!b']);
  });
});

describe('second case study (LLM tokens)', () => {
  it('counts and ranges requests per org and tokens per request', async () => {
    const org = llmTokens.key('org-1');
    for (const t of ['Hel', 'lo', ' wor', 'ld']) await commit([org.key('req-b').append(t)]);
    await commit([org.key('req-a').append('Hi'), org.key('req-a').append('!'), org.key('req-c').append('x')]);
    expect(await org.count()).toBe(3);
    expect(await org.key('req-b').count()).toBe(4);
    expect(await org.key('req-a').count()).toBe(2);
    expect((await org.range({ limit: 2 })).entries).toEqual([
      ['req-a', { count: 2 }],
      ['req-b', { count: 4 }],
    ]);
    expect((await org.range({ reverse: true, limit: 1 })).entries).toEqual([['req-c', { count: 1 }]]);
    expect((await org.key('req-b').range({ from: 1, to: 3 })).entries).toEqual([
      [1, 'lo'],
      [2, ' wor'],
    ]);
    expect((await org.key('req-b').range({ reverse: true, limit: 2 })).entries).toEqual([
      [3, 'ld'],
      [2, ' wor'],
    ]);
    expect(await org.key('req-b').key(0).get()).toBe('Hel');
    expect(await llmTokens.key('org-2').count()).toBe(0);
  });
});
