// The sync service (services/sync.ts) through the local runtime: /sync served by the long-lived
// process, not the function; a waiting poll reads nothing while it waits and is woken by a notice;
// notices missed while the instance's subscription is down are caught up; a stopped or killed
// instance loses nothing (the client polls again with its `since`); its tokens and the sync
// function's are interchangeable; and `$connect` subscribes only an instance that registered.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer, Pluggable } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { addClientPlugin, removeClientPlugin } from '../../lib/core/aws-clients.ts';
import { subscribedInstances, SUBSCRIPTION_PARAMETER } from '../../lib/core/service/notices.ts';
import { closeConnection } from '../../lib/core/websocket-connections.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { SYNC_SERVICE } from '../../lib/matrix/sync/notices.ts';
import { decodeSyncToken } from '../../lib/matrix/sync/token.ts';
import { readWake, wakeUsers } from '../../lib/matrix/sync/wake.ts';
import type { Woken } from '../../lib/matrix/sync/long-poll.ts';
import { checkWoken, type WakeCheck } from '../../lib/matrix/sync/service/woken-passes.ts';
import { handler as syncFunction } from '../../functions/http/sync.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { until } from '../support/poll.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from './rooms-support.ts';

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { event_id: string; content: { body?: string } }[] } }> };
}

/** The DynamoDB requests naming items of one partition, while `during` runs. */
async function requestsTo(pk: string, during: () => Promise<void>): Promise<number> {
  let count = 0;
  const plugin: Pluggable<object, MetadataBearer> = {
    applyToStack(stack) {
      stack.add(
        (next: InitializeHandler<object, MetadataBearer>) => async (args: InitializeHandlerArguments<object>) => {
          if (JSON.stringify(args.input ?? {}).includes(pk)) count++;
          return next(args);
        },
        { step: 'initialize', name: 'countPartition' },
      );
    },
  };
  addClientPlugin(plugin);
  try {
    await during();
  } finally {
    removeClientPlugin(plugin);
  }
  return count;
}

const timelineIds = (body: SyncBody, roomId: string) => body.rooms?.join?.[roomId]?.timeline.events.map((e) => e.event_id) ?? [];

/**
 * The wake count an answer's token names: the count a woken poll saw move, or at a timeout the
 * count from before the wait — so a count above the one read before the news proves a wake-up.
 */
const wakesNamedBy = (body: SyncBody) => decodeSyncToken(body.next_batch).wake!.wakes;

describe('the sync service', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const invoked: string[] = [];

  const sync = async (user: RegisteredUser, params: Record<string, string | number> = {}): Promise<SyncBody> => {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await user.client.get<SyncBody>(`${path.v3}/sync?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** A token after which bob's own news (his presence) has settled. */
  const settledToken = async (user: RegisteredUser, params: Record<string, string> = {}): Promise<string> => {
    let body = await sync(user, params);
    for (let i = 0; i < 10; i++) {
      const next = await sync(user, { ...params, since: body.next_batch, timeout: 1500 });
      const quiet = !Object.keys(next.rooms?.join ?? {}).length;
      body = next;
      if (quiet) break;
    }
    return body.next_batch;
  };
  const service = () => runtime.services.get(SYNC_SERVICE)!;
  const waiting = () => until(async () => service().openRequests(), (n) => n > 0, 'a waiting poll');

  beforeAll(async () => {
    runtime = await startTestRuntime('sync-service', { onInvocation: (r) => invoked.push(r.functionName) });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  it('serves /sync instead of the sync function; a waiting poll reads nothing until a notice wakes it', async () => {
    const since = await settledToken(bob);
    const poll = sync(bob, { since, timeout: 20_000 });
    await waiting();
    // While it waits (3 s: six of the function's wake-item reads), nothing reads bob's wake item.
    const reads = await requestsTo(`syncWake#${bob.userId}`, () => new Promise((r) => setTimeout(r, 3_000)));
    expect(reads).toBe(0);
    const before = (await readWake(bob.userId)).wakes;
    const sent = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'by notice' })).body.event_id;
    const answer = await poll;
    expect(timelineIds(answer, roomId)).toEqual([sent]);
    expect(wakesNamedBy(answer)).toBeGreaterThan(before);
    expect(invoked).not.toContain('sync');
  });

  it("polls woken together share the room's reads: three members' passes read its timeline as often as one member's", async () => {
    const anonymous = new TestClient(runtime.httpUrl);
    const members = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    const room = await createRoom(alice.client, { preset: 'public_chat' });
    for (const m of members) expect((await m.client.post(path.room(room, 'join'), {})).status).toBe(200);
    const tokens = await Promise.all(members.map((m) => settledToken(m)));
    const sent = (await send(alice.client, room, { msgtype: 'm.text', body: 'to all' })).body.event_id;
    /** Requests naming the room's timeline while the first `n` members' polls are woken as one batch. */
    const timelineReads = (n: number) =>
      requestsTo(`roomTimeline#${room}`, async () => {
        const passes = await Promise.all(
          members.slice(0, n).map(
            (m, i) =>
              new Promise<Woken | undefined>((resolve, reject) => {
                const params = { userId: m.userId, deviceId: m.deviceId, since: decodeSyncToken(tokens[i]!), fullState: false, filter: {} };
                // A count no wake item has: every poll of the batch runs its pass.
                batch.push({ params, seen: -1, resolve, reject });
              }),
          ).concat([checkWoken(batch).then(() => undefined)]),
        );
        for (const woken of passes.slice(0, n)) expect(timelineIds(woken!.pass!.body as unknown as SyncBody, room)).toEqual([sent]);
      });
    let batch: WakeCheck[] = [];
    const one = await timelineReads(1);
    batch = [];
    const three = await timelineReads(3);
    expect(one).toBeGreaterThan(0);
    expect(three).toBe(one);
  });

  it('a poll a notice told its new wake count runs its pass without reading its wake item; one told nothing reads it', async () => {
    const since = await settledToken(bob);
    const before = (await readWake(bob.userId)).wakes;
    const sent = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'counted' })).body.event_id;
    // The send is answered once committed; its wake-up of bob follows.
    const { wakes } = await until(() => readWake(bob.userId), (w) => w.wakes > before, "bob's wake-up");
    const params = { userId: bob.userId, deviceId: bob.deviceId, since: decodeSyncToken(since), fullState: false, filter: {} };
    const woken = (known?: number) =>
      new Promise<Woken | undefined>((resolve, reject) => void checkWoken([{ params, seen: wakes - 1, ...(known !== undefined ? { known } : {}), resolve, reject }]));
    let told: Woken | undefined;
    expect(await requestsTo(`syncWake#${bob.userId}`, async () => void (told = await woken(wakes)))).toBe(0);
    expect(told!.wakes).toBe(wakes);
    expect(timelineIds(told!.pass!.body as unknown as SyncBody, roomId)).toContain(sent);
    let read: Woken | undefined;
    expect(await requestsTo(`syncWake#${bob.userId}`, async () => void (read = await woken()))).toBe(1);
    expect(read!.wakes).toBe(wakes);
  });

  it('wakes a crowd in groups, each told as soon as its bumps are in, so the first passes need not wait for the last bumps', async () => {
    const crowd = Array.from({ length: 70 }, (_, i) => `@crowd${i}:localhost`);
    const steps: { kind: 'bump' | 'notice'; users: string[] }[] = [];
    const plugin: Pluggable<object, MetadataBearer> = {
      applyToStack(stack) {
        stack.add(
          (next: InitializeHandler<object, MetadataBearer>) => async (args: InitializeHandlerArguments<object>) => {
            const input = args.input as { UpdateExpression?: string; ConnectionId?: string; Data?: Uint8Array };
            if (input.UpdateExpression && crowd.some((u) => JSON.stringify(input).includes(`syncWake#${u}"`))) {
              steps.push({ kind: 'bump', users: crowd.filter((u) => JSON.stringify(input).includes(`syncWake#${u}"`)) });
            }
            const out = await next(args);
            if (input.ConnectionId && input.Data) {
              const frame = JSON.parse(Buffer.from(input.Data).toString('utf8')) as { data?: { wake?: string[] } };
              const users = (frame.data?.wake ?? []).filter((u) => crowd.includes(u));
              if (users.length) steps.push({ kind: 'notice', users });
            }
            return out;
          },
          { step: 'initialize', name: 'crowdSteps' },
        );
      },
    };
    addClientPlugin(plugin);
    try {
      await wakeUsers(crowd);
    } finally {
      removeClientPlugin(plugin);
    }
    const notices = steps.filter((s) => s.kind === 'notice');
    // Every user told once (per subscribed instance), in notices of at most 32.
    const instances = (await subscribedInstances(SYNC_SERVICE)).length;
    expect(notices.flatMap((n) => n.users).sort()).toEqual(Array.from({ length: instances }, () => crowd).flat().sort());
    expect(Math.max(...notices.map((n) => n.users.length))).toBeLessThanOrEqual(32);
    // Each user is told after their bump; some are told before the last user's bump is written.
    for (const user of crowd) {
      const bumped = steps.findIndex((s) => s.kind === 'bump' && s.users.includes(user));
      const told = steps.findIndex((s) => s.kind === 'notice' && s.users.includes(user));
      expect(bumped).toBeGreaterThanOrEqual(0);
      expect(told).toBeGreaterThan(bumped);
    }
    const lastBump = steps.map((s) => s.kind).lastIndexOf('bump');
    expect(steps.findIndex((s) => s.kind === 'notice')).toBeLessThan(lastBump);
    expect(await Promise.all(crowd.slice(0, 3).map(async (u) => (await readWake(u)).wakes))).toEqual([1, 1, 1]);
  });

  it('catches up on notices missed while its subscription was down', async () => {
    const since = await settledToken(bob);
    const poll = sync(bob, { since, timeout: 20_000 });
    await waiting();
    // The gateway drops the instance's connection: the instance reads its polls' wake items until
    // it is subscribed again, and checks all of them once more then.
    const [before] = await subscribedInstances(SYNC_SERVICE);
    const wakes = (await readWake(bob.userId)).wakes;
    await closeConnection(before!.connectionId);
    const sent = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'while down' })).body.event_id;
    const answer = await poll;
    expect(timelineIds(answer, roomId)).toEqual([sent]);
    // Woken (by a check of its wake item), not answered at its timeout.
    expect(wakesNamedBy(answer)).toBeGreaterThan(wakes);
    const after = await until(() => subscribedInstances(SYNC_SERVICE), (list) => list.length === 1 && list[0]!.connectionId !== before!.connectionId, 'a new subscription');
    expect(after).toHaveLength(1);
    expect(service().subscription.connected()).toBe(true);
  });

  it.each(['stop', 'kill'] as const)('an instance that goes away (%s) loses nothing: the next poll with since gets what was sent meanwhile', async (how) => {
    const since = await settledToken(bob);
    // Raw fetch: a killed instance's poll fails with the gateway's own 5xx, which the spec does not list.
    const poll = fetch(`${runtime.httpUrl}${path.v3}/sync?since=${encodeURIComponent(since)}&timeout=20000`, { headers: { authorization: `Bearer ${bob.accessToken}` } });
    await waiting();
    await runtime.replaceService(SYNC_SERVICE, how);
    const answered = await poll;
    // Stopped: the waiting poll is answered with what it had; killed: its connection just drops.
    if (how === 'stop') expect(answered.status).toBe(200);
    else expect(answered.status).toBeGreaterThanOrEqual(500);
    const next = how === 'stop' ? ((await answered.json()) as SyncBody).next_batch : since;
    const sent = (await send(alice.client, roomId, { msgtype: 'm.text', body: `after ${how}` })).body.event_id;
    expect(timelineIds(await sync(bob, { since: next, timeout: 20_000 }), roomId)).toEqual([sent]);
  });

  it("its tokens and the sync function's are interchangeable", async () => {
    const since = await settledToken(alice);
    const one = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'one' })).body.event_id;
    const viaFunction = await invokeSyncFunction(alice, since);
    expect(timelineIds(viaFunction, roomId)).toEqual([one]);
    const two = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'two' })).body.event_id;
    const viaService = await sync(alice, { since: viaFunction.next_batch, timeout: 10_000 });
    expect(timelineIds(viaService, roomId)).toEqual([two]);
    const three = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'three' })).body.event_id;
    expect(timelineIds(await invokeSyncFunction(alice, viaService.next_batch), roomId)).toEqual([three]);
  });

  it('$connect subscribes only an instance that registered its nonce', async () => {
    const url = new URL(runtime.wsUrl);
    url.searchParams.set(SUBSCRIPTION_PARAMETER, `${SYNC_SERVICE}.${'x'.repeat(32)}`);
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(url);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
    });
    expect(status).toBe(401);
  });
});

/** GET /sync through the sync function's handler itself (the Lambda route), in this process. */
async function invokeSyncFunction(user: RegisteredUser, since: string): Promise<SyncBody> {
  const rawQueryString = `since=${encodeURIComponent(since)}`;
  const event = {
    version: '2.0',
    routeKey: 'GET /_matrix/client/v3/sync',
    rawPath: '/_matrix/client/v3/sync',
    rawQueryString,
    headers: { authorization: `Bearer ${user.accessToken}` },
    requestContext: { http: { method: 'GET', path: '/_matrix/client/v3/sync', sourceIp: '127.0.0.1' }, requestId: 'test' },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
  const result = (await syncFunction(event, context)) as APIGatewayProxyStructuredResultV2;
  expect(result.statusCode, result.body).toBe(200);
  return JSON.parse(result.body!) as SyncBody;
}
