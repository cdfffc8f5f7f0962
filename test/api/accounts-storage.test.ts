// What the accounts area stores: only scrypt hashes of passwords and sha256 hashes of tokens
// (checked on every table item and every depot record), and a users depot that can be delivered
// again without changing anything (the topology applies each record exactly once).
import { DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type _Record } from '@aws-sdk/client-kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient, kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName, tableName } from '../../lib/core/environment.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { hashAccessToken } from '../../lib/matrix/passwords.ts';
import { accessTokens, users } from '../../lib/matrix/pstates.ts';
import { handler as usersTopology } from '../../functions/streams/users.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';

async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: tableName(), ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Table contents keyed by item, leaving out the event source mappings' own bookkeeping. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const item of await scanTable()) {
    const pk = String(item.pk);
    // Wake counters are doorbells rung at least once after every delivery (a redelivered device
    // removal rings its co-members again), not state.
    if (pk.startsWith('$checkpoint') || pk.startsWith('$esm') || pk.startsWith('syncWake#')) continue;
    out.set(`${pk} ${String(item.sk)}`, JSON.stringify(item, Object.keys(item).sort()));
  }
  return out;
}

/**
 * The table once the topologies are at rest: a users record's follow-ups (removed devices' keys)
 * are applied by the keys topology a moment after the users topology answers.
 */
async function settledSnapshot(): Promise<Map<string, string>> {
  let previous = await snapshot();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const next = await snapshot();
    if (JSON.stringify([...next]) === JSON.stringify([...previous])) return next;
    previous = next;
  }
  throw new Error('the table did not settle');
}

interface ShardRecords {
  shardId: string;
  streamArn: string;
  records: _Record[];
}

async function depotRecords(depot: string): Promise<ShardRecords[]> {
  const StreamName = depotStreamName(depot);
  const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName }));
  const { Shards } = await kinesisClient().send(new ListShardsCommand({ StreamName }));
  const out: ShardRecords[] = [];
  for (const shard of Shards ?? []) {
    const { ShardIterator } = await kinesisClient().send(
      new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const records: _Record[] = [];
    let iterator = ShardIterator;
    while (iterator) {
      const page = await kinesisClient().send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []));
      if (!page.Records?.length || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
    out.push({ shardId: shard.ShardId!, streamArn: StreamDescriptionSummary!.StreamARN!, records });
  }
  return out;
}

describe('account storage', () => {
  let runtime: LocalRuntime;
  let anon: TestClient;
  const secrets: string[] = [];
  const live: RegisteredUser[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('accounts-storage');
    anon = new TestClient(runtime.httpUrl);
    // A history of every kind of account command.
    const passwords = ['first-Secret-1', 'second-Secret-2', 'third-Secret-3'];
    secrets.push(...passwords);
    const [a, b, c] = await Promise.all(passwords.map((p, i) => registerUser(anon, `storage${i}`, p)));
    const a2 = await loginUser(anon, a!.userId, passwords[0]);
    const b2 = await loginUser(anon, b!.userId, passwords[1]);
    secrets.push(a!.accessToken, a2.accessToken, b!.accessToken, b2.accessToken, c!.accessToken);
    const auth = (user: string, password: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });
    expect((await a!.client.post(`${v3}/account/password`, { new_password: 'fourth-Secret-4', auth: auth(a!.userId, passwords[0]!) })).status).toBe(200);
    secrets.push('fourth-Secret-4');
    expect((await b2.client.post(`${v3}/logout`)).status).toBe(200);
    expect((await b!.client.put(`${v3}/devices/${b!.deviceId}`, { display_name: 'Desk' })).status).toBe(200);
    expect((await b!.client.put(`${v3}/profile/${encodeURIComponent(b!.userId)}/displayname`, { displayname: 'Bee' })).status).toBe(200);
    expect((await c!.client.post(`${v3}/account/deactivate`, { auth: auth(c!.userId, passwords[2]!) })).status).toBe(200);
    live.push(a!, b!);
  });
  afterAll(() => runtime?.stop());

  it('stores passwords only as scrypt hashes and tokens only as sha256 hashes', async () => {
    const items = await scanTable();
    expect(items.length).toBeGreaterThan(0);
    const everything = JSON.stringify(items);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const user of live) {
      const stored = await users.key(user.userId).get({ consistent: true });
      expect(stored?.passwordHash).toMatch(/^scrypt\$1\$/);
      expect(await accessTokens.key(hashAccessToken(user.accessToken)).get({ consistent: true })).toMatchObject({ userId: user.userId });
    }
    // The depot carries the same hashes, never the secrets.
    const records = (await depotRecords('users')).flatMap((s) => s.records);
    expect(records.length).toBeGreaterThan(8);
    const depot = records.map((r) => Buffer.from(r.Data!).toString('utf8')).join('\n');
    for (const secret of secrets) expect(depot).not.toContain(secret);
  });

  it('changes nothing when the users depot is delivered again, whole or record by record out of order', async () => {
    const before = await settledSnapshot();
    const context = invocationContext('usersTopology');
    for (const shard of await depotRecords('users')) {
      const source = { shardId: shard.shardId, streamArn: shard.streamArn };
      expect(await usersTopology(kinesisEvent(shard.records, source), context)).toEqual({ batchItemFailures: [] });
      // Late single deliveries: a login after its logout, a registration after the deactivation...
      for (const record of [...shard.records].reverse()) {
        expect(await usersTopology(kinesisEvent([record], source), context)).toEqual({ batchItemFailures: [] });
      }
    }
    expect(await settledSnapshot()).toEqual(before);
    for (const user of live) expect((await user.client.get(`${v3}/account/whoami`)).status).toBe(200);
  });

  it('answers 429 M_LIMIT_EXCEEDED over HTTP and writes nothing', async () => {
    // A window of ~31 years: the requests of this file all fall into the current one.
    const previous = process.env.AXON_RATE_LIMIT_REGISTER;
    process.env.AXON_RATE_LIMIT_REGISTER = '1/1000000000';
    try {
      const attempts = [];
      for (let i = 0; i < 2; i++) attempts.push(await anon.post(`${v3}/register`, { username: `limited${i}`, password: 'x', auth: { type: 'm.login.dummy' } }));
      const last = attempts[1]!;
      expectError(last, 429, 'M_LIMIT_EXCEEDED');
      expect((last.body as { retry_after_ms?: number }).retry_after_ms).toBeGreaterThan(0);
      expect(await users.key('@limited1:localhost').get({ consistent: true })).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env.AXON_RATE_LIMIT_REGISTER;
      else process.env.AXON_RATE_LIMIT_REGISTER = previous;
    }
  });
});
