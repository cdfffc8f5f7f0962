// Limits and concurrency: items over 400 KB and commits over 100 items are rejected before
// anything is sent, BatchGet reads more than 100 keys, counts stay exact when writers race, and
// prepared writes commit together with a caller's own item (a microbatch checkpoint).
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lib/core/aws-clients.ts';
import { tableName } from '../../../lib/core/environment.ts';
import { MAX_TRANSACTION_ITEMS, type TableWrite } from '../../../lib/core/table-writes.ts';
import {
  commit,
  commitWrites,
  ConditionFailedError,
  getMany,
  ItemTooLargeError,
  map,
  number,
  prepare,
  record,
  pstate,
  set,
  string,
  TooManyWritesError,
  vector,
  WriteConflict,
} from '../../../lib/core/pstate/index.ts';
import { createTestTable } from './table.ts';

const names = pstate('names', map(string(), string()));
const members = pstate('members', map(string(), set(string()).subindexed()));
const tokens = pstate('tokens', map(string(), vector(string()).subindexed()));
const positions = pstate('positions', map(string(), number()));

beforeAll(async () => {
  await createTestTable('pstate-limits');
});

describe('limits', () => {
  it('rejects a value over 400 KB before sending, and accepts one just under', async () => {
    const big = 'x'.repeat(400 * 1024);
    await expect(commit([names.key('big').set(big)])).rejects.toBeInstanceOf(ItemTooLargeError);
    await expect(commit([names.key('big').set(big)])).rejects.toThrow(/400 KB/);
    expect(await names.key('big').get({ consistent: true })).toBeUndefined();
    const fits = 'y'.repeat(390 * 1024);
    await commit([names.key('fits').set(fits)]);
    expect(await names.key('fits').get({ consistent: true })).toBe(fits);
  });

  it('rejects an atomic commit of more than 100 items, and commits exactly 100', async () => {
    const ops = Array.from({ length: MAX_TRANSACTION_ITEMS + 1 }, (_, i) => names.key(`n${i}`).set(String(i)));
    await expect(commit(ops)).rejects.toBeInstanceOf(TooManyWritesError);
    expect(await names.key('n0').get({ consistent: true })).toBeUndefined();
    await commit(ops.slice(0, MAX_TRANSACTION_ITEMS));
    expect(await names.key('n99').get({ consistent: true })).toBe('99');
  });

  it('reads more than 100 keys with BatchGetItem', async () => {
    for (let i = 0; i < 250; i += 100) {
      await commit(Array.from({ length: Math.min(100, 250 - i) }, (_, j) => names.key(`b${i + j}`).set(`v${i + j}`)));
    }
    const paths = Array.from({ length: 260 }, (_, i) => names.key(`b${i}`));
    const values = await getMany([...paths, names.key('b3')], { consistent: true });
    expect(values).toHaveLength(261);
    expect(values.slice(0, 250)).toEqual(Array.from({ length: 250 }, (_, i) => `v${i}`));
    expect(values.slice(250, 260)).toEqual(Array(10).fill(undefined));
    expect(values[260]).toBe('v3');
  });
});

describe('concurrency', () => {
  it('keeps a set size exact when writers race on new and existing elements', async () => {
    const room = members.key('!busy');
    const users = Array.from({ length: 8 }, (_, i) => `@u${i}`);
    // Every user is added by three concurrent writers; only the first add of each counts.
    await Promise.all([...users, ...users, ...users].map((u) => commit([room.add(u)], { maxAttempts: 50 })));
    expect(await room.count({ consistent: true })).toBe(users.length);
    await Promise.all([...users.slice(0, 3), ...users.slice(0, 3)].map((u) => commit([room.delete(u)], { maxAttempts: 50 })));
    expect(await room.count({ consistent: true })).toBe(users.length - 3);
    expect((await room.range({ consistent: true })).entries).toEqual(users.slice(3).sort());
  });

  it('gives concurrent appends distinct indexes', async () => {
    const req = tokens.key('req');
    await Promise.all(Array.from({ length: 10 }, (_, i) => commit([req.append(`t${i}`)], { maxAttempts: 50 })));
    const all = (await req.range({ consistent: true })).entries;
    expect(all.map(([i]) => i)).toEqual([...Array(10).keys()]);
    expect(all.map(([, t]) => t).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
    expect(await req.count({ consistent: true })).toBe(10);
  });
});

describe('conditions and prepared writes', () => {
  it('applies a position only when it is past the stored one', async () => {
    const p = positions.key('shard-1');
    await commit([p.set(5, { ifBelow: 5 })]);
    await expect(commit([p.set(3, { ifBelow: 3 })])).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(commit([p.set(5, { ifBelow: 5 })])).rejects.toBeInstanceOf(ConditionFailedError);
    await commit([p.set(7, { ifBelow: 7 })]);
    expect(await p.get({ consistent: true })).toBe(7);
    await expect(commit([names.key('once').set('a', { ifAbsent: true })])).resolves.toBeUndefined();
    await expect(commit([names.key('once').set('b', { ifAbsent: true })])).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await names.key('once').get({ consistent: true })).toBe('a');
  });

  it('guards a subindexed element by position: redelivery changes nothing and counts once', async () => {
    const roster = pstate('roster', map(string(), map(string(), record({ membership: string(), position: number() })).subindexed()));
    const alice = roster.key('!room').key('@alice');
    await commit([alice.set({ membership: 'join', position: 3 }, { ifBelow: 3, field: 'position' })]);
    await expect(commit([alice.set({ membership: 'join', position: 3 }, { ifBelow: 3, field: 'position' })])).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(commit([alice.set({ membership: 'invite', position: 2 }, { ifBelow: 2, field: 'position' })])).rejects.toBeInstanceOf(ConditionFailedError);
    await commit([alice.set({ membership: 'leave', position: 9 }, { ifBelow: 9, field: 'position' })]);
    expect(await alice.get({ consistent: true })).toEqual({ membership: 'leave', position: 9 });
    expect(await roster.key('!room').count({ consistent: true })).toBe(1);
    // In a prepared batch the failed op is dropped and the others still apply.
    const writes = await prepare(
      [alice.set({ membership: 'join', position: 4 }, { ifBelow: 4, field: 'position' }), roster.key('!room').key('@bob').set({ membership: 'join', position: 5 })],
      { onConditionFailed: 'skip' },
    );
    await commitWrites(writes);
    expect(await alice.field('membership').get({ consistent: true })).toBe('leave');
    expect(await roster.key('!room').count({ consistent: true })).toBe(2);
  });

  it('prepares table writes that commit atomically with the caller\'s own item', async () => {
    const room = members.key('!mb');
    const checkpoint: TableWrite = { Put: { TableName: tableName(), Item: { pk: '$checkpoint#test#shard-0', sk: '.', seq: '42' } } };
    const writes = await prepare([room.add('@a'), room.add('@b'), tokens.key('mb').append('x'), tokens.key('mb').append('y')]);
    await commitWrites([...writes, checkpoint]);
    expect(await room.count({ consistent: true })).toBe(2);
    expect(await tokens.key('mb').count({ consistent: true })).toBe(2);
    const cp = await documentClient().send(new GetCommand({ TableName: tableName(), Key: { pk: '$checkpoint#test#shard-0', sk: '.' }, ConsistentRead: true }));
    expect(cp.Item?.seq).toBe('42');
    // The same prepared writes again: their guards (elements absent, vector size 0) now fail,
    // so nothing is applied twice, the checkpoint included.
    const again: TableWrite = { Put: { TableName: tableName(), Item: { pk: '$checkpoint#test#shard-0', sk: '.', seq: '43' } } };
    await expect(commitWrites([...writes, again])).rejects.toBeInstanceOf(WriteConflict);
    expect(await room.count({ consistent: true })).toBe(2);
    const cp2 = await documentClient().send(new GetCommand({ TableName: tableName(), Key: { pk: '$checkpoint#test#shard-0', sk: '.' }, ConsistentRead: true }));
    expect(cp2.Item?.seq).toBe('42');
  });

  it('commits one item with a single call and skips failed own conditions when asked', async () => {
    const writes = await prepare([names.key('single').set('s')]);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.Update).toBeDefined();
    await commitWrites(writes);
    const skipped = await prepare([names.key('single').set('t', { ifAbsent: true }), names.key('other').set('o')], { onConditionFailed: 'skip' });
    expect(skipped).toHaveLength(1);
    await commitWrites(skipped);
    expect(await getMany([names.key('single'), names.key('other')], { consistent: true })).toEqual(['s', 'o']);
  });
});

describe('cheapest calls', () => {
  it('compiles plain top-level writes without reading first, one item each', async () => {
    const set = await prepare([names.key('plain').set('p')]);
    expect(set).toEqual([expect.objectContaining({ Update: expect.objectContaining({ Key: { pk: 'names#plain', sk: '.' } }) })]);
    const removal = await prepare([names.key('plain').remove()]);
    expect(removal).toEqual([{ Delete: expect.objectContaining({ Key: { pk: 'names#plain', sk: '.' } }) }]);
    expect(removal[0]!.Delete!.ConditionExpression).toBeUndefined();
  });
});
