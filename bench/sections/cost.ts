// The AWS bill from measured counts (issue 7 item 2): what one message costs as a fixed part, a part
// per room member and a part per online member, measured by sending the same messages into a room
// of 1, a room of 10 with nobody online and the same room with 4 members long-polling; dollars per
// million messages for rooms of N members with N/10 online; an idle long-polling user per month;
// and the AWS requests per message against the physical minimum.
import type { OperationCount } from '../accounting.ts';
import { LongPoller } from '../client/long-poller.ts';
import { sleep, type BenchClient } from '../client/matrix-client.ts';
import {
  addUsage, dollarsPerMillionMessages, enhancedConsumerShards, fixedMonthlyConsumerCost, idleLongPollUserPerMonth, idleSyncServiceUserPerMonth, idleWebSocketUserPerMonth, LAMBDA_SERVICE, API_GATEWAY_SERVICE,
  scaleUsage, usage, usageFromAccounting, withEnhancedFanOut, type MessageProfile, type Usage,
} from '../cost-model.ts';
import { axon } from '../../lib/matrix/module.ts';
import { LOCAL_MAPPING_SERVICE } from '../accounting.ts';
import type { BenchContext, BenchSection } from '../section.ts';
import { envNumber, idleLongPolling, messageContent, registerUsers, requireApi, roomWith, sendProbe, serverUrl, syncProbe, webSocketServed } from './matrix-api.ts';

const MESSAGES = 40;
const MEMBERS = 10;
const ONLINE = 4;
const ROOM_SIZES = [1, 10, 100, 1000, 10000];
/**
 * Waiting polls one sync service process holds while staying responsive, as `npm run bench --
 * longpoll-capacity` measured it on 2026-12-08 (README: 3,000 idle polls take half a core).
 */
const MEASURED_POLLS_PER_TASK = 3_000;

const nonNegative = (u: Usage): Usage => Object.fromEntries(Object.entries(u).map(([k, v]) => [k, Math.max(0, v)])) as unknown as Usage;

/** AWS requests a message caused, other than the event source mapping's own polling and Lambda/API Gateway. */
function awsRequests(ops: readonly OperationCount[]): number {
  const polling = new Set(['GetRecords', 'GetShardIterator', 'ListShards', 'DescribeStreamSummary', 'DescribeStream']);
  return ops
    .filter((o) => o.service !== LOCAL_MAPPING_SERVICE && o.service !== LAMBDA_SERVICE && o.service !== API_GATEWAY_SERVICE && !polling.has(o.operation))
    .reduce((n, o) => n + (o.operation === 'PutRecords' ? o.kinesisRecords : o.requests), 0);
}

async function sendAll(ctx: BenchContext, phase: string, sender: BenchClient, roomId: string, received?: (id: string) => Promise<void>): Promise<Usage> {
  await ctx.phase(phase, async () => {
    for (let i = 0; i < MESSAGES; i++) {
      const id = `${phase}-${i}`;
      await sender.send(roomId, id, messageContent(id));
      await received?.(id);
    }
  });
  return usageFromAccounting(ctx.requests?.(phase) ?? [], { transactionalUnitsReportedOnce: ctx.localAxon ?? false });
}

export const costSection: BenchSection = {
  name: 'cost',
  description: 'AWS cost from measured counts: $ per million messages by room size, idle users per month, requests per message vs the minimum',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, ...sendProbe, 'sending messages');
    await requireApi(url, ...syncProbe, '/sync');
    const [sender, ...others] = await registerUsers(url, MEMBERS, 'cost');
    const alone = await roomWith(sender!, []);
    const room = await roomWith(sender!, others);
    await sendAll(ctx, 'warm-up', sender!, room);

    const inRoomOf1 = await sendAll(ctx, 'room of 1', sender!, alone);
    const inRoomOf10 = await sendAll(ctx, `room of ${MEMBERS}, none online`, sender!, room);

    const seen = new Map<string, number>();
    const pollers = others.slice(0, ONLINE).map((m) => new LongPoller(m, (event) => {
      const id = event.content['bench.id'];
      if (typeof id === 'string') seen.set(id, (seen.get(id) ?? 0) + 1);
    }));
    await Promise.all(pollers.map((p) => p.start()));
    const onlinePhase = `room of ${MEMBERS}, ${ONLINE} online (long-poll)`;
    const inRoomOnline = await sendAll(ctx, onlinePhase, sender!, room, async (id) => {
      const deadline = Date.now() + 30_000;
      while ((seen.get(id) ?? 0) < ONLINE && Date.now() < deadline) await sleep(5);
    });
    await ctx.phase('teardown', async () => {
      const stopping = pollers.map((p) => p.stop(async () => undefined));
      await sender!.send(room, 'stop', messageContent('stop'));
      await Promise.all(stopping);
    });

    // A message is appended to the rooms depot, which each of its enhanced fan-out consumers reads.
    const roomsConsumers = axon.topologies.filter((t) => t.depot === 'rooms' && t.consumer === 'enhanced').length;
    const profile: MessageProfile = {
      perMessage: withEnhancedFanOut(scaleUsage(inRoomOf1, 1 / MESSAGES), roomsConsumers),
      perMember: nonNegative(scaleUsage(addUsage(inRoomOf10, inRoomOf1, -1), 1 / MESSAGES / (MEMBERS - 1))),
      perOnlineMember: nonNegative(scaleUsage(addUsage(inRoomOnline, inRoomOf10, -1), 1 / MESSAGES / ONLINE)),
    };
    for (const n of ROOM_SIZES) {
      const online = Math.max(1, Math.round(n / 10));
      const cost = dollarsPerMillionMessages(profile, n, online);
      ctx.figure(`$ per million messages, ${n} members, ${online} online`, cost.total, '$ per million messages', onlinePhase, { x: n, label: 'room members (10% online by long-poll)' });
    }
    const breakdown = dollarsPerMillionMessages(profile, 100, 10);
    for (const service of ['dynamodb', 'kinesis', 'lambda', 'apiGateway'] as const) {
      ctx.figure(`$ per million messages, 100 members, 10 online: ${service}`, breakdown[service], '$', onlinePhase);
    }

    // Enhanced fan-out's fixed part: consumer-shard hours, whatever flows.
    ctx.figure('enhanced fan-out consumer-shard hours per month', fixedMonthlyConsumerCost(enhancedConsumerShards(axon)), '$ per month', onlinePhase);

    // Requests per message next to the physical minimum: 1 Kinesis put, 1 DynamoDB write, and one
    // push per online member (a long-poller's answer stands in for the push).
    const perMessageRequests = awsRequests(ctx.requests?.(onlinePhase) ?? []) / MESSAGES;
    const minimum = 2 + ONLINE;
    ctx.figure(`AWS requests per message (${MEMBERS} members, ${ONLINE} online)`, perMessageRequests, 'requests', onlinePhase);
    ctx.figure('physical minimum per message', minimum, 'requests', onlinePhase);
    ctx.figure('requests per message ÷ minimum', perMessageRequests / minimum, 'ratio', onlinePhase);
    ctx.figure('Lambda invocations per message', inRoomOnline.lambdaInvocations / MESSAGES, 'invocations', onlinePhase);

    // An idle long-polling user: /sync polls with the timeout clients use, that nothing wakes.
    const idleUser = others[MEMBERS - 2]!;
    const idle = await ctx.phase('idle long-poll', () => idleLongPolling(idleUser, envNumber('AXON_BENCH_COST_IDLE_POLL_MS', 30_000), 30_000));
    const waited = idle.seconds / Math.max(1, idle.polls);
    const perPoll = scaleUsage(usageFromAccounting(ctx.requests?.('idle long-poll') ?? [], { transactionalUnitsReportedOnce: ctx.localAxon ?? false }), 1 / Math.max(1, idle.polls));
    const longPollMonth = idleLongPollUserPerMonth({ perPoll, pollTimeoutSeconds: waited });
    ctx.figure('idle long-polling user per month', longPollMonth.total, '$', 'idle long-poll');
    ctx.figure('idle long-polling user per hour', longPollMonth.total / 730, '$', 'idle long-poll');
    ctx.figure('idle long-polling user per month: Lambda', longPollMonth.lambda, '$', 'idle long-poll');
    // Served by the sync service (the runner's default, AXON_BENCH_SYNC=lambda for the function):
    // the polls' own usage, plus the users' share of tasks and load balancer at each scale, with
    // the waiting polls one task holds as longpoll-capacity measured them (README).
    if (process.env.AXON_BENCH_SYNC !== 'lambda') {
      const decl = Object.values(axon.services ?? {})[0];
      if (decl) {
        for (const users of [100, 10_000, 100_000]) {
          const month = idleSyncServiceUserPerMonth({
            perPoll, pollTimeoutSeconds: waited, users,
            pollsPerTask: envNumber('AXON_BENCH_POLLS_PER_TASK', MEASURED_POLLS_PER_TASK),
            minTasks: decl.scaling.minTasks,
            task: { vcpu: decl.cpu / 1024, memoryGb: decl.memoryMb / 1024 },
          });
          ctx.figure(`idle long-polling user per month, sync service, ${users} users`, month.total, '$', 'idle long-poll');
          ctx.log(`sync service, ${users} idle users: $${month.total.toFixed(4)} per user-month (polls $${month.perPolls.toFixed(4)}, ${month.taskCount} task(s) $${month.tasks.toFixed(4)}, load balancer ${month.loadBalancerCapacityUnits.toFixed(1)} LCU $${month.loadBalancer.toFixed(4)})`);
        }
      }
    }
    // Without the WebSocket channel its connect/disconnect cannot be measured: what is priced here is
    // only what API Gateway bills whatever the handlers do (connection minutes, one keep-alive per
    // 9 minutes, a reconnect every 2 hours) — a lower bound, labelled as such.
    const wsFloor = idleWebSocketUserPerMonth({ perConnection: usage() });
    const label = webSocketServed() ? 'idle WebSocket user per month (API Gateway part)' : 'idle WebSocket user per month (API Gateway part only; channel not served yet)';
    ctx.figure(label, wsFloor.total, '$', 'idle long-poll');
    // What sliding sync's activity index adds (lib/matrix/rooms/activity-index.ts): the same room once
    // every member has made a sliding sync request (each is flagged and built), nobody online.
    const slidingPhase = `room of ${MEMBERS}, all ${MEMBERS} use sliding sync`;
    await ctx.phase('sliding sync first requests', async () => {
      for (const member of [sender!, ...others]) {
        await member.request('POST', '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync', { lists: { all: { ranges: [[0, 9]], timeline_limit: 0, required_state: [] } } });
      }
    });
    const inRoomSliding = await sendAll(ctx, slidingPhase, sender!, room);
    const dynamoRequests = (phase: string) => (ctx.requests?.(phase) ?? []).filter((o) => o.service === 'DynamoDB').reduce((n, o) => n + o.requests, 0) / MESSAGES;
    ctx.figure(`DynamoDB requests per message, room of ${MEMBERS}, none using sliding sync`, dynamoRequests(`room of ${MEMBERS}, none online`), 'requests', `room of ${MEMBERS}, none online`);
    ctx.figure(`DynamoDB requests per message, ${slidingPhase}`, dynamoRequests(slidingPhase), 'requests', slidingPhase);
    ctx.figure(`DynamoDB write units per message, room of ${MEMBERS}, none using sliding sync`, inRoomOf10.dynamoWriteUnits / MESSAGES, 'WCU', `room of ${MEMBERS}, none online`);
    ctx.figure(`DynamoDB write units per message, ${slidingPhase}`, inRoomSliding.dynamoWriteUnits / MESSAGES, 'WCU', slidingPhase);
    for (const phase of ['room of 1', `room of ${MEMBERS}, none online`, onlinePhase, slidingPhase]) {
      const top = (ctx.targets?.(phase) ?? []).slice(0, 40).map((t) => `${(t.requests / MESSAGES).toFixed(2)} ${t.target}`);
      ctx.log(`DynamoDB requests per message in "${phase}": ${top.join('; ')}`);
    }
    ctx.log(`room of 100 with 10 online: $${breakdown.total.toFixed(2)} per million messages; idle long-poll $${longPollMonth.total.toFixed(3)}/month; ${perMessageRequests.toFixed(1)} AWS requests per message vs ${minimum}`);
  },
};
