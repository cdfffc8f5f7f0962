import { describe, expect, it } from 'vitest';
import { expiringAt, type TableWrite } from '../../lib/core/table-writes.ts';

describe('expiringAt', () => {
  it("puts the table's TTL attribute on whole-item puts", () => {
    const put: TableWrite = { Put: { TableName: 't', Item: { pk: 'a', sk: 'b', x: 1 } } };
    expect(expiringAt([put], 1234)).toEqual([{ Put: { TableName: 't', Item: { pk: 'a', sk: 'b', x: 1, expiresAt: 1234 } } }]);
  });

  it('joins an existing SET clause of an update, or opens one', () => {
    const withSet: TableWrite = {
      Update: { TableName: 't', Key: { pk: 'a', sk: 'b' }, UpdateExpression: 'SET #a = :a REMOVE #b', ExpressionAttributeNames: { '#a': 'x', '#b': 'y' }, ExpressionAttributeValues: { ':a': 1 } },
    };
    const [joined] = expiringAt([withSet], 99);
    expect(joined!.Update!.UpdateExpression).toBe('SET #axonTtl = :axonTtl, #a = :a REMOVE #b');
    expect(joined!.Update!.ExpressionAttributeNames).toEqual({ '#a': 'x', '#b': 'y', '#axonTtl': 'expiresAt' });
    expect(joined!.Update!.ExpressionAttributeValues).toEqual({ ':a': 1, ':axonTtl': 99 });
    const onlyAdd: TableWrite = { Update: { TableName: 't', Key: { pk: 'a', sk: 'b' }, UpdateExpression: 'ADD #c :c', ExpressionAttributeNames: { '#c': 'n' }, ExpressionAttributeValues: { ':c': 1 } } };
    expect(expiringAt([onlyAdd], 5)[0]!.Update!.UpdateExpression).toBe('SET #axonTtl = :axonTtl ADD #c :c');
  });

  it('leaves deletes and condition checks alone', () => {
    const del: TableWrite = { Delete: { TableName: 't', Key: { pk: 'a', sk: 'b' } } };
    expect(expiringAt([del], 5)).toEqual([del]);
  });
});
