import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../lib/core/aws-clients.ts';
import { OUTSIDE_PHASES, RequestAccounting, type OperationCount } from '../../bench/accounting.ts';
import { runSection } from '../../bench/runner.ts';
import { SkipSection, type BenchSection } from '../../bench/section.ts';
import { useTestEngines } from '../support/engines.ts';

const { prefix: table } = useTestEngines('bench-runner');
const accounting = new RequestAccounting();

beforeAll(async () => {
  await dynamoClient().send(new CreateTableCommand({
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  accounting.install();
});

afterAll(async () => {
  accounting.uninstall();
  await dynamoClient().send(new DeleteTableCommand({ TableName: table }));
});

const put = (sk: string) => dynamoClient().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'p' }, sk: { S: sk } } }));
const requestsOf = (ops: OperationCount[] | undefined, operation: string) => ops?.find((o) => o.operation === operation)?.requests;

describe('runSection', () => {
  it('attributes requests to phases, keeps the rest apart, and collects figures', async () => {
    let seenInPhase: OperationCount[] = [];
    const section: BenchSection = {
      name: 'sample',
      description: 'two puts in a phase, a get outside',
      async run(ctx) {
        await ctx.phase('puts', async () => {
          await put('1');
          await put('2');
        });
        seenInPhase = ctx.requests?.('puts') ?? [];
        await dynamoClient().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'p' }, sk: { S: '1' } } }));
        ctx.figure('puts done', 2, 'count', 'puts', { x: 1, label: 'round' });
      },
    };
    const result = await runSection(section, accounting, undefined);
    expect(result).toMatchObject({ name: 'sample', status: 'ok', figures: [{ name: 'puts done', value: 2, unit: 'count', phase: 'puts', at: { x: 1, label: 'round' } }] });
    expect(result.phases.map((p) => p.name)).toEqual(['puts', OUTSIDE_PHASES]);
    expect(requestsOf(result.phases[0]?.operations, 'PutItem')).toBe(2);
    expect(requestsOf(result.phases[0]?.operations, 'GetItem')).toBeUndefined();
    expect(requestsOf(result.phases[1]?.operations, 'GetItem')).toBe(1);
    expect(requestsOf(seenInPhase, 'PutItem')).toBe(2);
    expect(result.phases[0]?.operations[0]?.writeCapacityUnits).toBe(2);
  });

  it('reports a skipped section with its reason and a failed one with its error, keeping the failed phase', async () => {
    const skipped = await runSection({ name: 'needs-server', description: 'x', run: () => Promise.reject(new SkipSection('needs a running Axon server')) }, accounting, undefined);
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'needs a running Axon server', figures: [], phases: [] });

    const failed = await runSection({
      name: 'broken',
      description: 'fails inside a phase',
      async run(ctx) {
        await ctx.phase('half done', async () => {
          await put('3');
          throw new Error('boom');
        });
      },
    }, accounting, 'http://127.0.0.1:1');
    expect(failed).toMatchObject({ status: 'failed', reason: 'boom' });
    expect(failed.phases[0]?.name).toBe('half done');
    expect(requestsOf(failed.phases[0]?.operations, 'PutItem')).toBe(1);
  });
});
