// Raw rates of the local engines, without Axon in the way: DynamoDB Local PutItem / GetItem / Query
// and kinesis-mock PutRecord at a few concurrency levels. The floor every other local figure sits on.
import { CreateTableCommand, DeleteTableCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { dynamoClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { SkipSection, type BenchContext, type BenchSection } from '../section.ts';
import { percentile, runLoad } from '../stats.ts';

const CONCURRENCY = [1, 8, 32];
const PARTITIONS = 10;
// Each phase is bounded by time and by count, so the section always ends (about 18 s by default).
const PHASE_MS = Number(process.env.AXON_BENCH_PHASE_MS ?? 1500);
const MAX_OPERATIONS = 20_000;
const PAYLOAD = 'x'.repeat(200);

async function waitForStream(name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

async function measure(ctx: BenchContext, operation: string, concurrency: number, run: (i: number) => Promise<unknown>): Promise<void> {
  const phase = `${operation} ×${concurrency}`;
  const result = await ctx.phase(phase, () => runLoad(run, { concurrency, durationMs: PHASE_MS, maxOperations: MAX_OPERATIONS }));
  const at = { x: concurrency, label: 'concurrent requests' };
  const ok = result.latencies.length;
  ctx.figure(`${operation} rate`, ok / (result.elapsedMs / 1000), 'ops/s', phase, at);
  ctx.figure(`${operation} p50`, percentile(result.latencies, 0.5), 'ms', phase, at);
  ctx.figure(`${operation} p95`, percentile(result.latencies, 0.95), 'ms', phase, at);
  ctx.figure(`${operation} errors`, result.errors, 'count', phase);
  // Billed units per call as the engine reports them (DynamoDB Local's ConsumedCapacity).
  const counts = ctx.requests?.(phase) ?? [];
  const calls = counts.reduce((n, c) => n + c.requests, 0);
  if (calls > 0) {
    const units = counts.reduce((n, c) => n + c.readCapacityUnits + c.writeCapacityUnits + c.putPayloadUnits, 0);
    const unit = operation === 'PutRecord' ? 'PUT payload units' : operation === 'PutItem' ? 'WCU' : 'RCU';
    ctx.figure(`${operation} ${unit} per call`, units / calls, unit, phase);
  }
  ctx.log(`${phase}: ${ok} ok, ${result.errors} errors in ${(result.elapsedMs / 1000).toFixed(1)} s`);
}

export const enginesSection: BenchSection = {
  name: 'engines',
  description: 'DynamoDB Local and kinesis-mock raw request rates and latencies',
  async run(ctx) {
    if (!process.env.AXON_DYNAMODB_ENDPOINT || !process.env.AXON_KINESIS_ENDPOINT) {
      throw new SkipSection('needs the local engines, which the runner does not start with --url');
    }
    const name = `bench-engines-${randomBytes(4).toString('hex')}`;
    const dynamo = dynamoClient();
    const kinesis = kinesisClient();
    await dynamo.send(new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
    try {
      await waitForStream(name);
      // A fresh JVM and a fresh kinesis-mock are slow for their first requests: warm both up in a
      // phase of its own so the measured phases do not include JIT compilation.
      await ctx.phase('warm-up', () =>
        runLoad((i) => Promise.all([
          dynamo.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'warm-up' }, sk: { S: String(i) } } })),
          kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'warm-up', Data: new Uint8Array(1) })),
        ]), { concurrency: 4, durationMs: PHASE_MS, maxOperations: MAX_OPERATIONS }),
      );
      const written: string[] = [];
      for (const c of CONCURRENCY) {
        await measure(ctx, 'PutItem', c, async (i) => {
          const sk = `${c}-${i}`;
          await dynamo.send(new PutItemCommand({ TableName: name, Item: { pk: { S: `p${i % PARTITIONS}` }, sk: { S: sk }, body: { S: PAYLOAD } } }));
          written.push(`${i % PARTITIONS}/${sk}`);
        });
      }
      if (written.length === 0) throw new Error('no item was written, nothing to read');
      for (const c of CONCURRENCY) {
        await measure(ctx, 'GetItem', c, async (i) => {
          const [partition, sk] = (written[(i * 7919) % written.length] as string).split('/') as [string, string];
          const { Item } = await dynamo.send(new GetItemCommand({ TableName: name, Key: { pk: { S: `p${partition}` }, sk: { S: sk } } }));
          if (!Item) throw new Error(`item p${partition}/${sk} not found`);
        });
      }
      for (const c of CONCURRENCY) {
        await measure(ctx, 'Query', c, (i) =>
          dynamo.send(new QueryCommand({ TableName: name, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `p${i % PARTITIONS}` } }, Limit: 20 })),
        );
      }
      const data = new TextEncoder().encode(PAYLOAD);
      for (const c of CONCURRENCY) {
        await measure(ctx, 'PutRecord', c, (i) => kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: `k${i}`, Data: data })));
      }
    } finally {
      await dynamo.send(new DeleteTableCommand({ TableName: name }));
      await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    }
  },
};
