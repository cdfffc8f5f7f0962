// A top-level value written with setExpiring carries the table's TTL attribute (DynamoDB deletes
// it on its own after that time); only top-level values can expire.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lib/core/aws-clients.ts';
import { tableName } from '../../../lib/core/environment.ts';
import { commit, map, number, pstate, record, string, SchemaViolation } from '../../../lib/core/pstate/index.ts';
import { TTL_ATTRIBUTE } from '../../../lib/core/table.ts';
import { createTestTable } from './table.ts';

beforeAll(async () => {
  await createTestTable('pstate-expiring');
});

const sessions = pstate('sessions', map(string(), record({ holder: string(), until: number() })));
const nested = pstate('nestedSessions', map(string(), map(string(), string()).subindexed()));

describe('expiring values', () => {
  it('carry the TTL attribute on their item, and read back as any value', async () => {
    await commit([sessions.key('a').setExpiring({ holder: 'x', until: 123 }, 1_900_000_000)]);
    const key = sessions.key('a').location().item;
    const item = await documentClient().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
    expect(item.Item?.[TTL_ATTRIBUTE]).toBe(1_900_000_000);
    expect(await sessions.key('a').get({ consistent: true })).toEqual({ holder: 'x', until: 123 });
    // A plain set keeps no TTL of its own.
    await commit([sessions.key('b').set({ holder: 'y', until: 1 })]);
    const plain = await documentClient().send(new GetCommand({ TableName: tableName(), Key: sessions.key('b').location().item, ConsistentRead: true }));
    expect(plain.Item?.[TTL_ATTRIBUTE]).toBeUndefined();
  });

  it('only at the top level', async () => {
    await expect(commit([nested.key('a').key('b').setExpiring('v', 1_900_000_000)])).rejects.toThrow(SchemaViolation);
  });
});
