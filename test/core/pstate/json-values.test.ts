// JSON values (json() nodes) are stored as their JSON text, so DynamoDB holds any shape a client
// sends — nested past DynamoDB's 32 levels, lone surrogates, any keys — and items that earlier
// versions wrote as maps and lists still read back. Keys DynamoDB cannot hold and values that
// are not JSON are schema violations, refused before anything is sent.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { documentClient } from '../../../lib/core/aws-clients.ts';
import { tableName } from '../../../lib/core/environment.ts';
import { commit, getMany, ItemTooLargeError, json, map, pstate, record, SchemaViolation, string, vector } from '../../../lib/core/pstate/index.ts';
import { createTestTable } from './table.ts';

const documents = pstate('documents', map(string(), map(string(), json(z.record(z.string(), z.unknown()))).subindexed()));
const entries = pstate('entries', map(string(), vector(json(z.object({ event: z.record(z.string(), z.unknown()), seq: z.string() }))).subindexed()));
const keys = pstate('keys', map(string(), record({ keyId: string(), key: json(z.unknown()) })));

beforeAll(async () => {
  await createTestTable('pstate-json');
});

function nested(depth: number, leaf: unknown = 'bottom'): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf };
  for (let i = 1; i < depth; i++) v = { [`level${i}`]: v, n: i };
  return v;
}

describe('json values', () => {
  it('store documents nested deeper than DynamoDB maps can be, and read them back identical', async () => {
    for (const depth of [32, 33, 40, 1000]) {
      const doc = nested(depth);
      await commit([documents.key('@deep').key(`d${depth}`).set(doc)]);
      expect(await documents.key('@deep').key(`d${depth}`).get({ consistent: true })).toEqual(doc);
    }
    const event = { type: 'm.room.message', content: nested(40, [1, null, true, { x: 'y' }]) };
    await commit([entries.key('!room').append({ event, seq: '1' })]);
    const page = await entries.key('!room').range({ consistent: true });
    expect(page.entries).toEqual([[0, { event, seq: '1' }]]);
    // Reads inside a whole value step into the decoded document.
    expect(await entries.key('!room').key(0).get({ consistent: true })).toEqual({ event, seq: '1' });
    expect(await getMany([documents.key('@deep').key('d40'), documents.key('@deep').key('none')], { consistent: true })).toEqual([nested(40), undefined]);
  });

  it('store lone surrogates, empty keys and odd keys in strings and keys exactly', async () => {
    const doc = { '': 'empty key', '\ud800': 'lone high key', body: 'a\udc00b', 'a.b': { '#x': '\u0000' }, emoji: '😀' };
    await commit([documents.key('@odd').key('doc').set(doc)]);
    expect(await documents.key('@odd').key('doc').get({ consistent: true })).toEqual(doc);
  });

  it('round-trip any JSON value (fuzzed)', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), async (doc) => {
        const key = `f${i++}`;
        await commit([documents.key('@fuzz').key(key).set(doc)]);
        expect(await documents.key('@fuzz').key(key).get({ consistent: true })).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 30 },
    );
  });

  it('read values that earlier versions stored as DynamoDB maps, lists and strings', async () => {
    // Written as the codec did before json() values were stored as text: the value itself.
    const table = tableName();
    const legacyDoc = { msgtype: 'm.text', body: 'old', nested: { list: [1, 'two', { three: true }] } };
    await documentClient().send(new PutCommand({ TableName: table, Item: { pk: documents.key('@legacy').location().item.pk, sk: documents.key('@legacy').key('doc').location().item.sk, v: legacyDoc } }));
    expect(await documents.key('@legacy').key('doc').get({ consistent: true })).toEqual(legacyDoc);
    const legacyKey = keys.key('@legacy').location().item;
    await documentClient().send(new PutCommand({ TableName: table, Item: { ...legacyKey, 'v.keyId': 'AAAA', 'v.key': 'curve25519-base64' } }));
    expect(await keys.key('@legacy').get({ consistent: true })).toEqual({ keyId: 'AAAA', key: 'curve25519-base64' });
    // Written again, it is stored as text.
    await commit([keys.key('@legacy').set({ keyId: 'AAAA', key: 'curve25519-base64' })]);
    const { Item } = await documentClient().send(new GetCommand({ TableName: table, Key: legacyKey, ConsistentRead: true }));
    expect(Item!['v.key']).toBeInstanceOf(Uint8Array);
    expect(await keys.key('@legacy').get({ consistent: true })).toEqual({ keyId: 'AAAA', key: 'curve25519-base64' });
  });

  it('refuse values that would not come back as they were, before sending anything', async () => {
    const path = documents.key('@bad').key('doc');
    for (const bad of [{ n: Number.NaN }, { n: Infinity }, { d: new Date(0) }, { m: new Map() }, { a: [1, undefined] }, { b: 1n }]) {
      await expect(commit([path.set(bad as Record<string, unknown>)])).rejects.toBeInstanceOf(SchemaViolation);
    }
    expect(await path.get({ consistent: true })).toBeUndefined();
  });

  it('count the text against the 400 KB item limit', async () => {
    const big = { body: 'x'.repeat(400 * 1024) };
    await expect(commit([documents.key('@big').key('doc').set(big)])).rejects.toBeInstanceOf(ItemTooLargeError);
  });

  it('refuse keys longer than DynamoDB keys may be as schema violations', async () => {
    // Partition keys hold 2048 bytes, sort keys 1024 (each with the PState's own prefix).
    // (Resolving the path throws: there is no item to write or read.)
    expect(() => documents.key('@long').key('t'.repeat(1100)).set({})).toThrow(SchemaViolation);
    expect(() => documents.key('@'.repeat(2100)).key('t').set({})).toThrow(SchemaViolation);
    await commit([documents.key('@long').key('t'.repeat(1000)).set({ ok: true })]);
    expect(await documents.key('@long').key('t'.repeat(1000)).get({ consistent: true })).toEqual({ ok: true });
  });

  it('refuse ifEquals on a json value (its text depends on key order)', async () => {
    const path = documents.key('@cond').key('doc');
    await commit([path.set({ a: 1, b: 2 })]);
    await expect(commit([path.set({ a: 2 }, { ifEquals: { b: 2, a: 1 } })])).rejects.toBeInstanceOf(SchemaViolation);
  });
});
