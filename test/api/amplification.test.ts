// Requests that fan out — a key claim or query naming thousands of users, a to-device send to
// thousands of recipients — are bounded: caps where the spec or the clients give a reference, one
// batched read to skip what does not exist, batched appends and outcome polls for what does, a
// fan-out budget, and never more than a handful of AWS requests in flight for one request (what
// keeps it from taking the SDK's connection pool from everyone else). Tests count AWS requests
// (the bench's SDK middleware), they never time anything.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { KEY_QUERY_CONCURRENCY, MAX_KEY_QUERY_USERS } from '../../lib/matrix/keys/query.ts';
import { MAX_TO_DEVICE_MESSAGES } from '../../lib/matrix/keys/send-to-device.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { measureAws } from '../support/aws-requests.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const ghosts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `@ghost-${tag}-${i}:localhost`);
// The local pollers (one per shard per topology) make requests of their own while a test measures.
const POLLERS = 16;

describe('requests that fan out', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let friends: RegisteredUser[];

  beforeAll(async () => {
    runtime = await startTestRuntime('amplification');
    const anon = new TestClient(runtime.httpUrl);
    alice = await registerUser(anon);
    friends = [];
    for (let i = 0; i < 5; i++) friends.push(await registerUser(anon));
  });
  afterAll(() => runtime?.stop());
  afterEach(() => {
    delete process.env.AXON_RATE_LIMIT_FAN_OUT;
    delete process.env.AXON_RATE_LIMIT_WRITES;
  });

  describe('POST /keys/claim', () => {
    it('naming 3,000 users who do not exist costs one batched read per 100 and appends nothing', async () => {
      const one_time_keys = Object.fromEntries(ghosts(3000, 'claim').map((u) => [u, { DEVICE: 'signed_curve25519' }]));
      const { result, cost } = await measureAws(() => alice.client.post(`${v3}/keys/claim`, { one_time_keys }));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ one_time_keys: {}, failures: {} });
      expect(cost.kinesisPuts).toBe(0);
      expect(cost.requests['DynamoDB.BatchGetItem']).toBeLessThanOrEqual(30 + 5);
      expect(cost.dynamo).toBeLessThanOrEqual(60);
      expect(cost.peakInFlight).toBeLessThanOrEqual(POLLERS);
    });

    it("claims existing devices' keys with one batched append and batched outcome polls", async () => {
      const one_time_keys = Object.fromEntries([
        ...friends.map((f) => [f.userId, { [f.deviceId]: 'signed_curve25519' }]),
        ...ghosts(500, 'mixed').map((u) => [u, { DEVICE: 'signed_curve25519' }]),
      ]);
      const { result, cost } = await measureAws(() => alice.client.post(`${v3}/keys/claim`, { one_time_keys }));
      expect(result.status).toBe(200);
      // One record per existing user, in one PutRecords call.
      expect(cost.kinesisRecords).toBe(friends.length);
      expect(cost.kinesisPuts).toBe(1);
      expect(cost.peakInFlight).toBeLessThanOrEqual(POLLERS);
    });
  });

  describe('POST /keys/query', () => {
    it(`is 413 M_TOO_LARGE over ${MAX_KEY_QUERY_USERS} users, before any read of them`, async () => {
      const device_keys = Object.fromEntries(ghosts(3000, 'query').map((u) => [u, []]));
      const { result, cost } = await measureAws(() => alice.client.post(`${v3}/keys/query`, { device_keys }));
      expectError(result, 413, 'M_TOO_LARGE');
      expect(cost.requests['DynamoDB.BatchGetItem'] ?? 0).toBe(0);
      expect(cost.requests['DynamoDB.Query'] ?? 0).toBeLessThanOrEqual(2);
    });

    it(`reads ${KEY_QUERY_CONCURRENCY} users at a time, and users who do not exist in one batched read`, async () => {
      const device_keys = Object.fromEntries([...ghosts(MAX_KEY_QUERY_USERS - friends.length, 'q2'), ...friends.map((f) => f.userId)].map((u) => [u, []]));
      const { result, cost } = await measureAws(() => alice.client.post<{ device_keys: Record<string, unknown> }>(`${v3}/keys/query`, { device_keys }));
      expect(result.status).toBe(200);
      expect(Object.keys(result.body.device_keys)).toHaveLength(MAX_KEY_QUERY_USERS);
      expect(cost.requests['DynamoDB.BatchGetItem']).toBeLessThanOrEqual(MAX_KEY_QUERY_USERS / 100 + 2);
      // Three reads per existing user (signatures, device keys, cross-signing keys), none for the others.
      expect(cost.requests['DynamoDB.Query']).toBeLessThanOrEqual(3 * friends.length + 5);
      expect(cost.peakInFlight).toBeLessThanOrEqual(KEY_QUERY_CONCURRENCY + POLLERS);
    });
  });

  describe('PUT /sendToDevice', () => {
    const message = { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: { k: { type: 0, body: 'x' } } };
    const send = (user: RegisteredUser, txnId: string, recipients: string[]) =>
      user.client.put(`${v3}/sendToDevice/m.room.encrypted/${txnId}`, { messages: Object.fromEntries(recipients.map((u) => [u, { '*': message }])) });

    it(`is 413 M_TOO_LARGE over ${MAX_TO_DEVICE_MESSAGES} messages, or for a message over 64 KiB, appending nothing`, async () => {
      const { result, cost } = await measureAws(() => send(alice, 'big1', ghosts(5000, 'td')));
      expectError(result, 413, 'M_TOO_LARGE');
      expect(cost.kinesisPuts).toBe(0);
      const huge = await alice.client.put(`${v3}/sendToDevice/m.room.encrypted/big2`, { messages: { [friends[0]!.userId]: { '*': { body: 'x'.repeat(70_000) } } } });
      expectError(huge, 413, 'M_TOO_LARGE');
    });

    it('to 1,000 recipients who do not exist costs one batched read per 100 and appends nothing', async () => {
      const { result, cost } = await measureAws(() => send(alice, 'ghosts1', ghosts(MAX_TO_DEVICE_MESSAGES, 'td2')));
      expect(result.status).toBe(200);
      expect(cost.kinesisPuts).toBe(0);
      expect(cost.requests['DynamoDB.BatchGetItem']).toBeLessThanOrEqual(MAX_TO_DEVICE_MESSAGES / 100 + 2);
      expect(cost.peakInFlight).toBeLessThanOrEqual(POLLERS);
    });

    it('to existing users: one batched append, and each recipient counts against the fan-out budget', async () => {
      process.env.AXON_RATE_LIMIT_FAN_OUT = `${friends.length + 1}/1000000000`;
      const sender = await registerUser(new TestClient(runtime.httpUrl));
      const recipients = friends.map((f) => f.userId);
      const { result, cost } = await measureAws(() => send(sender, 'share1', [...recipients, ...ghosts(200, 'td3')]));
      expect(result.status).toBe(200);
      expect(cost.kinesisRecords).toBe(friends.length);
      expect(cost.kinesisPuts).toBe(1);
      // One unit left in the budget: a send to two more recipients is refused, and appends nothing.
      const over = await measureAws(() => send(sender, 'share2', recipients.slice(0, 2)));
      expectError(over.result, 429, 'M_LIMIT_EXCEEDED');
      expect(over.cost.kinesisPuts).toBe(0);
      expect((await send(sender, 'share3', recipients.slice(0, 1))).status).toBe(200);
      // The messages arrived: each friend's device has the first send's.
      const sync = await friends[0]!.client.get<{ to_device?: { events: { sender: string }[] } }>(`${v3}/sync?timeout=0`);
      expect(sync.body.to_device?.events.map((e) => e.sender)).toEqual([sender.userId, sender.userId]);
    });
  });

  it('a claim that fans out counts against the fan-out budget too', async () => {
    process.env.AXON_RATE_LIMIT_FAN_OUT = `2/1000000000`;
    const claimer = await registerUser(new TestClient(runtime.httpUrl));
    const claim = (users: RegisteredUser[]) =>
      claimer.client.post(`${v3}/keys/claim`, { one_time_keys: Object.fromEntries(users.map((f) => [f.userId, { [f.deviceId]: 'signed_curve25519' }])) });
    expect((await claim(friends.slice(0, 2))).status).toBe(200);
    const refused = await measureAws(() => claim(friends.slice(2, 3)));
    expectError(refused.result, 429, 'M_LIMIT_EXCEEDED');
    expect(refused.cost.kinesisPuts).toBe(0);
  });

  it('a fan-out larger than the whole budget is charged the whole budget: it needs a window to itself', async () => {
    process.env.AXON_RATE_LIMIT_FAN_OUT = `3/1000000000`;
    const sender = await registerUser(new TestClient(runtime.httpUrl));
    const to = (users: RegisteredUser[], txnId: string) =>
      sender.client.put(`${v3}/sendToDevice/m.test/${txnId}`, { messages: Object.fromEntries(users.map((f) => [f.userId, { '*': { n: 1 } }])) });
    expect((await to(friends, 'all')).status).toBe(200);
    expectError(await to(friends.slice(0, 1), 'one'), 429, 'M_LIMIT_EXCEEDED');
  });
});
