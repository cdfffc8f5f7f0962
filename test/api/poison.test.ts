// No poison records (issue 14): input a hostile user sends is either valid Matrix and stored
// whatever its shape (content nested past DynamoDB's 32 levels), or refused at the edge with the
// Matrix error its field names, nothing appended. And a record that reaches a topology anyway is
// never retried for a failure that cannot pass: its appender gets the refusal at once and the
// records after it apply. "Not delayed" is shown without timing: every depot record is delivered
// to each topology exactly once (no retry, no redelivery, no bisection), no dead letters, and the
// other user's request made at the same time, on the same shard, succeeds.
import type { KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendWithAck } from '../../lib/core/ack.ts';
import { unstorableJson } from '../../lib/core/json-text.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { listShards, readShard } from '../../lib/core/replay.ts';
import { listDeadLetters } from '../../lib/local/dead-letters.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { canonicalJson, isCanonicalJsonValue } from '../../lib/matrix/canonical-json.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { axon } from '../../lib/matrix/module.ts';
import { abuseReports } from '../../lib/matrix/submissions/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { POISON, poisonEndpoints, type PoisonContext, type PoisonRequest } from './poison-endpoints.ts';
import { createRoom, infoOf, path, send } from './rooms-support.ts';

const v3 = path.v3;
const LONE = 'a\ud800b';
/** A string no field takes (ids stop at 255 bytes, free text and stored JSON at 64 KiB). */
const OVERSIZED = 'poison'.repeat(12_000);

/** A JSON object nested `depth` levels (DynamoDB's own maps stop at 32). */
function nested(depth: number, leaf: unknown = 'bottom'): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf };
  for (let i = 1; i < depth; i++) v = { [`l${i}`]: v };
  return v;
}

describe('poison inputs', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser; // the hostile user
  let bob: RegisteredUser; // everyone else
  let aliceRoom: string;
  /** A room of bob's on the same shard of the rooms depot as alice's room. */
  let bobRoom: string;
  /** `<function> <Kinesis eventID>` → how often a topology function was handed the record. */
  const deliveries = new Map<string, number>();
  const mappingLog: string[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('poison', {
      log: (line) => mappingLog.push(line),
      onInvocation: ({ functionName, event }) => {
        const records = (event as Partial<KinesisStreamEvent> | undefined)?.Records;
        if (!Array.isArray(records)) return;
        for (const r of records) if (r.eventSource === 'aws:kinesis') deliveries.set(`${functionName} ${r.eventID}`, (deliveries.get(`${functionName} ${r.eventID}`) ?? 0) + 1);
      },
    });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    aliceRoom = await createRoom(alice.client, {});
    // roomInfo's shardId is the room's lane: its shard, a dot, its depot partition (lib/core/partitions.ts).
    const shardOf = async (roomId: string) => (await infoOf(roomId))?.shardId?.split('.')[0];
    const shard = await shardOf(aliceRoom);
    for (let i = 0; i < 12 && bobRoom === undefined; i++) {
      const candidate = await createRoom(bob.client, {});
      if ((await shardOf(candidate)) === shard) bobRoom = candidate;
    }
    expect(bobRoom, 'a room of bob on the shard of alice room').toBeDefined();
  });

  /** What the endpoints' requests need: rooms and users to act on, an event, a backup version. */
  async function endpointContext(anonymous: TestClient): Promise<PoisonContext> {
    const charlie = await registerUser(anonymous);
    const membersRoom = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await charlie.client.post(path.room(membersRoom, 'join'), {})).status).toBe(200);
    const knockRoom = await createRoom(bob.client, { room_version: '11', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    const leaveRoom = await createRoom(alice.client, {});
    const eventId = (await send(alice.client, aliceRoom, { msgtype: 'm.text', body: 'to report and redact' })).body.event_id;
    expect((await alice.client.post(`${v3}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'k' } })).status).toBe(200);
    const backupVersion = async () => (await alice.client.get<{ version: string }>(`${v3}/room_keys/version`)).body.version;
    const admin = await registerUser(anonymous);
    await submitAccountCommand('account.setAdmin', admin.userId, { admin: true });
    return { alice, bob, anonymous, aliceRoom, membersRoom, charlie, knockRoom, leaveRoom, eventId, backupVersion, fresh: () => registerUser(anonymous), admin };
  }
  afterAll(() => runtime?.stop());

  /** Nothing was retried: each record reached each topology once, no failed batch, no dead letter. */
  async function expectNothingRetried(): Promise<void> {
    await runtime.mappings.idle();
    const repeated = [...deliveries].filter(([, n]) => n > 1);
    expect(repeated, 'records delivered more than once').toEqual([]);
    expect(mappingLog.filter((l) => /fail|retry|retrying|bisect|dead-letter/i.test(l))).toEqual([]);
    for (const topology of axon.topologies) expect(await listDeadLetters(topology.name)).toEqual([]);
  }

  /** Every record's data in a depot (as text: a lone surrogate shows as its JSON escape). */
  async function depotTexts(depot: string): Promise<string[]> {
    const stream = depotStreamName(depot);
    const texts: string[] = [];
    for (const shard of await listShards(stream)) {
      for await (const batch of readShard(stream, shard.ShardId!, 1000)) texts.push(...batch.map((r) => Buffer.from(r.Data!).toString('utf8')));
    }
    return texts;
  }

  it('a message nested 40 levels deep is stored and read back identical; another room on its shard is not held back', async () => {
    const content = { msgtype: 'm.text', body: 'deep', deep: nested(40, [1, null, true, { x: 'y' }]) };
    const [deep, other] = await Promise.all([send(alice.client, aliceRoom, content), send(bob.client, bobRoom, { msgtype: 'm.text', body: 'meanwhile' })]);
    expect(deep.status, JSON.stringify(deep.body)).toBe(200);
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    const read = await alice.client.get<{ content: unknown }>(path.room(aliceRoom, `event/${encodeURIComponent(deep.body.event_id)}`));
    expect(read.body.content).toEqual(content);
    await expectNothingRetried();
  });

  it('every other client JSON nested 40 levels deep is stored and read back identical', async () => {
    const deep = nested(40);
    const userPath = `${v3}/user/${encodeURIComponent(alice.userId)}`;
    // Account data, global and per room.
    expect((await alice.client.put(`${userPath}/account_data/org.example.deep`, deep)).status).toBe(200);
    expect((await alice.client.get(`${userPath}/account_data/org.example.deep`)).body).toEqual(deep);
    expect((await alice.client.put(`${userPath}/rooms/${encodeURIComponent(aliceRoom)}/account_data/org.example.deep`, deep)).status).toBe(200);
    expect((await alice.client.get(`${userPath}/rooms/${encodeURIComponent(aliceRoom)}/account_data/org.example.deep`)).body).toEqual(deep);
    // Room state.
    expect((await alice.client.put(path.room(aliceRoom, 'state/org.example.deep/k'), deep)).status).toBe(200);
    expect((await alice.client.get(path.room(aliceRoom, 'state/org.example.deep/k'))).body).toEqual(deep);
    // Filters.
    const filter = { room: { timeline: { limit: 5 } }, org_example: deep };
    const created = await alice.client.post<{ filter_id: string }>(`${userPath}/filter`, filter);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await alice.client.get(`${userPath}/filter/${created.body.filter_id}`)).body).toEqual(filter);
    // Pushers (their data is the client's).
    const pusher = { kind: 'http', app_id: 'org.example.deep', pushkey: 'k1', app_display_name: 'A', device_display_name: 'D', lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify', deep } };
    expect((await alice.client.post(`${v3}/pushers/set`, pusher)).status).toBe(200);
    expect((await alice.client.get<{ pushers: unknown[] }>(`${v3}/pushers`)).body.pushers).toEqual([pusher]);
    // To-device messages.
    expect((await alice.client.put(`${v3}/sendToDevice/org.example.deep/t1`, { messages: { [bob.userId]: { [bob.deviceId]: deep } } })).status).toBe(200);
    const synced = await bob.client.get<{ to_device?: { events: { type: string; content: unknown }[] } }>(`${v3}/sync?timeout=0`);
    expect(synced.body.to_device?.events.find((e) => e.type === 'org.example.deep')?.content).toEqual(deep);
    // One-time keys: stored by the upload, handed out (in the claim's recorded outcome) as uploaded.
    const key = { key: 'deep-key', signatures: {}, org_example: deep };
    expect((await alice.client.post(`${v3}/keys/upload`, { one_time_keys: { 'signed_curve25519:deep': key } })).status).toBe(200);
    const claimed = await bob.client.post<{ one_time_keys: Record<string, Record<string, unknown>> }>(`${v3}/keys/claim`, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
    expect(claimed.body.one_time_keys[alice.userId]?.[alice.deviceId]).toEqual({ 'signed_curve25519:deep': key });
    // Reports keep the request body.
    const event = await send(alice.client, aliceRoom, { msgtype: 'm.text', body: 'report me' });
    expect((await alice.client.post(path.room(aliceRoom, `report/${encodeURIComponent(event.body.event_id)}`), { reason: 'deep', org_example: deep })).status).toBe(200);
    const reports = await abuseReports.key('event').entries({ consistent: true });
    expect(reports.find(([, r]) => r.eventId === event.body.event_id)?.[1].content).toEqual({ reason: 'deep', org_example: deep });
    await expectNothingRetried();
  }, 180_000);

  it('each invalid input is refused at the edge with its errcode, nothing appended, while another user is served', async () => {
    const userPath = `${v3}/user/${encodeURIComponent(alice.userId)}`;
    const profile = `${v3}/profile/${encodeURIComponent(alice.userId)}`;
    const anonymous = new TestClient(runtime.httpUrl);
    const poisons: [string, () => Promise<MatrixResponse>, number, string][] = [
      ['displayname', () => alice.client.put(`${profile}/displayname`, { displayname: LONE }), 400, 'M_BAD_JSON'],
      ['avatar_url', () => alice.client.put(`${profile}/avatar_url`, { avatar_url: `mxc://localhost/${LONE}` }), 400, 'M_BAD_JSON'],
      ['presence status_msg', () => alice.client.put(`${v3}/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'online', status_msg: LONE }), 400, 'M_BAD_JSON'],
      ['device display_name', () => alice.client.put(`${v3}/devices/${alice.deviceId}`, { display_name: LONE }), 400, 'M_BAD_JSON'],
      ['report reason', () => alice.client.post(`${v3}/users/${encodeURIComponent(bob.userId)}/report`, { reason: LONE }), 400, 'M_BAD_JSON'],
      ['account data type over 2 KB', () => alice.client.put(`${userPath}/account_data/${'t'.repeat(2100)}`, { a: 1 }), 400, 'M_INVALID_PARAM'],
      ['account data key', () => alice.client.put(`${userPath}/account_data/org.example.x`, { [LONE]: 1 }), 400, 'M_BAD_JSON'],
      ['room tag', () => alice.client.put(`${userPath}/rooms/${encodeURIComponent(aliceRoom)}/tags/${'t'.repeat(300)}`, {}), 400, 'M_INVALID_PARAM'],
      ['message body', () => send(alice.client, aliceRoom, { msgtype: 'm.text', body: LONE }), 400, 'M_BAD_JSON'],
      ['message over 64 KiB', () => send(alice.client, aliceRoom, { msgtype: 'm.text', body: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE'],
      ['state content key', () => alice.client.put(path.room(aliceRoom, 'state/org.example.x/k'), { [LONE]: 1 }), 400, 'M_BAD_JSON'],
      ['room name at creation', () => alice.client.post(`${v3}/createRoom`, { name: LONE }), 400, 'M_BAD_JSON'],
      ['membership reason', () => alice.client.post(path.room(aliceRoom, 'invite'), { user_id: bob.userId, reason: LONE }), 400, 'M_BAD_JSON'],
      ['to-device content', () => alice.client.put(`${v3}/sendToDevice/m.x/t-lone`, { messages: { [bob.userId]: { [bob.deviceId]: { body: LONE } } } }), 400, 'M_BAD_JSON'],
      ['filter', () => alice.client.post(`${userPath}/filter`, { event_fields: [LONE] }), 400, 'M_BAD_JSON'],
      ['key upload', () => alice.client.post(`${v3}/keys/upload`, { one_time_keys: { [`signed_curve25519:${LONE}`]: { key: 'k' } } }), 400, 'M_BAD_JSON'],
      ['login device name', () => anonymous.post(`${v3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: 'correct horse battery staple', initial_device_display_name: LONE }), 400, 'M_BAD_JSON'],
    ];
    for (const [what, request, status, errcode] of poisons) {
      // At the same moment, bob sends into his room on alice's shard and a new user registers.
      const [poisoned, sent, registered] = await Promise.all([request(), send(bob.client, bobRoom, { msgtype: 'm.text', body: `while ${what}` }), registerUser(anonymous)]);
      expect({ what, status: poisoned.status, errcode: (poisoned.body as { errcode?: string }).errcode }).toEqual({ what, status, errcode });
      expect(sent.status).toBe(200);
      expect(registered.userId).toMatch(/^@/);
    }
    for (const depot of ['rooms', 'users', 'ephemeral']) {
      const texts = await depotTexts(depot);
      expect(texts.filter((t) => t.includes('\\ud800') || t.includes('t'.repeat(300)) || t.includes('x'.repeat(70_000)))).toEqual([]);
    }
    await expectNothingRetried();
  }, 300_000);

  it('every endpoint that appends answers each poison at the edge, never 5xx, while another user is served on the same shard', async () => {
    // The table covers every non-GET route of every function that appends to a depot.
    const { routes } = axon.http;
    const appending = routes.filter((r) => r.method !== 'GET' && (axon.functions[r.function]?.access?.appends ?? []).length > 0);
    expect(Object.keys(poisonEndpoints).sort()).toEqual([...new Set(appending.map((r) => `${r.method} ${r.path.replace('/_matrix/client', '')}`))].sort());

    const ctx = await endpointContext(new TestClient(runtime.httpUrl));
    const BAD_JSON = { status: 400, errcode: 'M_BAD_JSON' };
    /** Each poison as JSON text; the first two are never JSON that can be stored, whatever the field. */
    const poisons: { name: string; json: string; refused?: { status: number; errcode: string } }[] = [
      { name: 'lone surrogate', json: '"a\\ud800b"', refused: BAD_JSON },
      { name: 'number past a double', json: '1e400', refused: BAD_JSON },
      { name: 'nested 40 levels', json: JSON.stringify(nested(40)) },
      { name: 'oversized string', json: JSON.stringify(OVERSIZED) },
    ];
    const outcomes: { route: string; poison: string; status: number; errcode?: string }[] = [];
    let n = 0;
    for (const [route, endpoint] of Object.entries(poisonEndpoints)) {
      const method = route.split(' ')[0] as PoisonRequest['method'];
      const poisoned = poisons.map(async (poison) => {
        const request = await endpoint(ctx, n++);
        const rawBody = JSON.stringify(request.body).replaceAll(`"${POISON}"`, poison.json);
        const res = await request.client.request<{ errcode?: string }>(method, request.path, undefined, { rawBody, headers: { 'content-type': 'application/json' } });
        return { route, poison: poison.name, status: res.status, ...(res.body?.errcode !== undefined ? { errcode: res.body.errcode } : {}) };
      });
      // At the same moment, bob sends into his room on the shard of alice's room.
      const [witness, ...results] = await Promise.all([send(bob.client, bobRoom, { msgtype: 'm.text', body: `while ${route}` }), ...poisoned]);
      expect(witness.status, `bob's send during ${route}`).toBe(200);
      outcomes.push(...results);
    }
    console.log(outcomes.map((o) => `${o.route} | ${o.poison} | ${o.status} ${o.errcode ?? ''}`).join('\n'));
    const wrong = outcomes.filter((outcome) => {
      const { refused } = poisons.find((p) => p.name === outcome.poison)!;
      if (refused) return outcome.status !== refused.status || outcome.errcode !== refused.errcode;
      // Valid JSON in a field that takes it is stored (2xx); elsewhere a client error, never 5xx.
      return !(outcome.status < 300 || (outcome.status < 500 && outcome.errcode !== undefined));
    });
    expect(wrong).toEqual([]);
    for (const depot of ['rooms', 'users', 'ephemeral']) {
      const texts = await depotTexts(depot);
      expect(texts.filter((t) => t.includes('a\\ud800b') || t.includes(OVERSIZED))).toEqual([]);
    }
    await expectNothingRetried();
  }, 600_000);

  it('records that reach a topology past the edge are refused at once, and the others apply', async () => {
    // As an appender that skipped the validators (an older edge during a deploy, a bug) would.
    const ack = (depot: string, partitionKey: string, data: { kind: string }) => appendWithAck(depot, { partitionKey, data, kind: data.kind }, { timeoutMs: 20_000 });
    const [badSend, deepSend, otherSend, badProfile, badPresence, goodPresence] = await Promise.all([
      ack('rooms', aliceRoom, { kind: 'send', roomId: aliceRoom, sender: alice.userId, deviceId: alice.deviceId, type: 'm.room.message', content: { body: LONE }, txnId: 'past-edge-1' } as { kind: string }),
      ack('rooms', aliceRoom, { kind: 'send', roomId: aliceRoom, sender: alice.userId, deviceId: alice.deviceId, type: 'm.room.message', content: { body: 'deep', deep: nested(40) }, txnId: 'past-edge-2' } as { kind: string }),
      ack('rooms', bobRoom, { kind: 'send', roomId: bobRoom, sender: bob.userId, deviceId: bob.deviceId, type: 'm.room.message', content: { body: 'fine' }, txnId: 'past-edge-3' } as { kind: string }),
      ack('users', alice.userId, { kind: 'account.profile', userId: alice.userId, ts: Date.now(), displayname: LONE } as { kind: string }),
      ack('ephemeral', alice.userId, { kind: 'ephemeral.presence', userId: alice.userId, presence: 'online', statusMsg: LONE } as { kind: string }),
      ack('ephemeral', bob.userId, { kind: 'ephemeral.presence', userId: bob.userId, presence: 'online', statusMsg: 'here' } as { kind: string }),
    ]);
    expect(badSend).toMatchObject({ ok: false, error: { code: 'M_BAD_JSON', status: 400 } });
    expect(deepSend).toMatchObject({ ok: true });
    expect(otherSend).toMatchObject({ ok: true });
    expect(badProfile).toMatchObject({ ok: false, error: { code: 'M_BAD_JSON', status: 400 } });
    expect(badPresence).toMatchObject({ ok: false, error: { code: 'M_BAD_JSON', status: 400 } });
    expect(goodPresence).toMatchObject({ ok: true });
    expect((await bob.client.get<{ status_msg?: string }>(`${v3}/presence/${encodeURIComponent(bob.userId)}/status`)).body.status_msg).toBe('here');
    await expectNothingRetried();
  });

  it('fuzzed message content is stored identical or refused with its errcode, never a 5xx, never retried', async () => {
    const keyOrText = fc.string({ unit: 'binary', maxLength: 12 });
    const content = fc.dictionary(keyOrText, fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), { maxKeys: 6 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(content, fc.nat({ max: 45 }), async (fields, depth) => {
        const body = { msgtype: 'm.text', body: `fuzz ${n++}`, ...fields, nested: nested(depth + 1, fields) };
        const sent = body as unknown;
        const expected = JSON.parse(JSON.stringify(sent)) as Record<string, unknown>;
        const res = await send(alice.client, aliceRoom, body);
        if (unstorableJson(expected) !== undefined || !isCanonicalJsonValue(expected)) {
          expectError(res, 400, 'M_BAD_JSON');
        } else if (Buffer.byteLength(canonicalJson(expected)) > 64_000) {
          expect(res.status).toBe(413);
        } else {
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const read = await alice.client.get<{ content: unknown }>(path.room(aliceRoom, `event/${encodeURIComponent(res.body.event_id)}`));
          expect(read.body.content).toEqual(expected);
        }
      }),
      { numRuns: 30 },
    );
    await expectNothingRetried();
  }, 300_000);
});
