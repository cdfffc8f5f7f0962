import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lib/core/aws-clients.ts';
import { tableName } from '../../lib/core/environment.ts';
import { applyOnce, applyOnceWithEffects } from '../../lib/core/topology/apply-once.ts';
import { Rejection } from '../../lib/core/topology/stream.ts';
import type { TableWrite } from '../../lib/core/table-writes.ts';
import { ensureTable } from '../../lib/core/table.ts';
import { useTestEngines } from '../support/engines.ts';

// A "log" where each applied record appends an entry at the next free position: not idempotent by
// itself (a second application would append again), which is what applyOnce must prevent.
async function appendPlan(log: string, entry: string) {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: { pk: log, sk: 'head' }, ConsistentRead: true }));
  const next = ((Item?.size as number | undefined) ?? 0) + 1;
  const writes: TableWrite[] = [
    {
      Put: {
        TableName: tableName(),
        Item: { pk: log, sk: 'head', size: next },
        ConditionExpression: Item ? 'size = :prev' : 'attribute_not_exists(pk)',
        ...(Item ? { ExpressionAttributeValues: { ':prev': next - 1 } } : {}),
      },
    },
    { Put: { TableName: tableName(), Item: { pk: log, sk: `entry#${String(next).padStart(6, '0')}`, entry } } },
  ];
  return { writes, value: next };
}

async function entries(log: string): Promise<string[]> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': log, ':e': 'entry#' },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map((i) => i.entry as string);
}

describe('applyOnce', () => {
  beforeAll(async () => {
    useTestEngines('apply-once');
    await ensureTable();
  });

  it('applies a redelivered record once and answers with the first outcome', async () => {
    const record = { requestId: 'req-1', eventId: 'shard-0:1' };
    const first = await applyOnce(record, 'test', () => appendPlan('log-a', 'hello'));
    const again = await applyOnce(record, 'test', () => appendPlan('log-a', 'hello'));
    expect(first).toBe(1);
    expect(again).toBe(1);
    expect(await entries('log-a')).toEqual(['hello']);
  });

  it('keys records without a request id by their place in the depot', async () => {
    await applyOnce({ eventId: 'shard-0:7' }, 'test', () => appendPlan('log-b', 'x'));
    await applyOnce({ eventId: 'shard-0:7' }, 'test', () => appendPlan('log-b', 'x'));
    await applyOnce({ eventId: 'shard-0:8' }, 'test', () => appendPlan('log-b', 'y'));
    expect(await entries('log-b')).toEqual(['x', 'y']);
  });

  it('plans again when another writer changed a guarded item in between', async () => {
    let plans = 0;
    const value = await applyOnce({ requestId: 'req-race', eventId: 's:1' }, 'test', async () => {
      plans++;
      const planned = await appendPlan('log-c', 'mine');
      if (plans === 1) {
        // Someone else appends between our read and our commit.
        await documentClient().send(new PutCommand({ TableName: tableName(), Item: { pk: 'log-c', sk: 'head', size: 1 } }));
        await documentClient().send(new PutCommand({ TableName: tableName(), Item: { pk: 'log-c', sk: 'entry#000001', entry: 'theirs' } }));
      }
      return planned;
    });
    expect(plans).toBe(2);
    expect(value).toBe(2);
    expect(await entries('log-c')).toEqual(['theirs', 'mine']);
  });

  it('keeps a first success when a redelivery would now be rejected', async () => {
    const record = { requestId: 'req-create', eventId: 's:9' };
    const create = async () => {
      const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: { pk: 'room-x', sk: 'info' }, ConsistentRead: true }));
      if (Item) throw new Rejection('M_ROOM_IN_USE', 'exists', 400);
      return { writes: [{ Put: { TableName: tableName(), Item: { pk: 'room-x', sk: 'info' } } }] as TableWrite[], value: 'created' };
    };
    expect(await applyOnce(record, 'test', create)).toBe('created');
    expect(await applyOnce(record, 'test', create)).toBe('created');
    await expect(applyOnce({ requestId: 'req-other', eventId: 's:10' }, 'test', create)).rejects.toBeInstanceOf(Rejection);
  });

  it('hands the plan effects to the delivery that committed them, counts attempts, and gives none to a redelivery', async () => {
    const record = { requestId: 'req-effects', eventId: 's:20' };
    const attempts: number[] = [];
    const plan = async (attempt: number) => {
      attempts.push(attempt);
      const planned = await appendPlan('log-e', 'x');
      // The first attempt loses a race (its guard on the head no longer holds): plan again.
      if (attempt === 1) await appendPlan('log-e', 'other').then((p) => documentClient().send(new PutCommand(p.writes[0]!.Put as never)));
      return { ...planned, effects: { entry: planned.value } };
    };
    const first = await applyOnceWithEffects(record, 'test', plan);
    expect(attempts).toEqual([1, 2]);
    expect(first).toEqual({ value: 2, effects: { entry: 2 } });
    expect(await applyOnceWithEffects(record, 'test', plan)).toEqual({ value: 2 });
  });
});
