// A burst of typing updates in a room whose members are all on the WebSocket channel: what the
// ephemeral microbatch turns it into (frames per connection, pushes, DynamoDB writes per update,
// batches) and the typing set a member ends up seeing. ARCHITECTURE §4: typing must not cost a
// write and a push per keystroke.
import type { OperationCount } from '../accounting.ts';
import { BenchClient, sleep } from '../client/matrix-client.ts';
import { WsReceiver } from '../client/ws-receiver.ts';
import { LAMBDA_SERVICE } from '../cost-model.ts';
import { SkipSection, type BenchSection } from '../section.ts';
import { envNumber, requireApi, serverUrl, webSocketServed } from './matrix-api.ts';
import { pooledRoom, pooledUsers } from './member-pool.ts';

const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
const BATCH_FUNCTION = 'ephemeralTopology';

const sum = (ops: readonly OperationCount[], pick: (o: OperationCount) => number) => ops.reduce((n, o) => n + pick(o), 0);

function setTyping(client: BenchClient, roomId: string, typing: boolean): Promise<unknown> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(client.userId)}`;
  return client.request('PUT', path, typing ? { typing: true, timeout: 30_000 } : { typing: false });
}

export const typingSection: BenchSection = {
  name: 'typing',
  description: 'a burst of typing updates in a room of 100 WebSocket-connected members: frames per connection, pushes and writes per update, batches',
  async run(ctx) {
    const url = serverUrl(ctx);
    await requireApi(url, 'PUT', '/_matrix/client/v3/rooms/!probe:localhost/typing/@probe:localhost', 'typing');
    if (!webSocketServed() || !ctx.wsUrl) throw new SkipSection('needs the WebSocket channel (the runner’s own local Axon)');
    const memberCount = envNumber('AXON_BENCH_TYPING_MEMBERS', 100);
    const typerCount = Math.min(memberCount, envNumber('AXON_BENCH_TYPERS', 10));
    const perTyper = envNumber('AXON_BENCH_TYPING_UPDATES', 20);
    const members = await pooledUsers(url, memberCount);
    const roomId = await pooledRoom(url, memberCount);
    const typers = members.slice(0, typerCount);
    // Odd typers stop at the end, even ones stay typing: the final set is known in advance.
    const expected = new Set(typers.filter((_, i) => i % 2 === 0).map((t) => t.userId));

    // The last m.typing set each member saw; frames counted from the burst's start.
    const seen = members.map(() => new Set<string>());
    const typingFrames = members.map(() => 0);
    const receivers = members.map(
      (m, i) =>
        new WsReceiver(ctx.wsUrl!, m.accessToken!, () => undefined, (data) => {
          for (const event of data.rooms?.join?.[roomId]?.ephemeral?.events ?? []) {
            if (event.type !== 'm.typing') continue;
            seen[i] = new Set((event.content.user_ids as string[] | undefined) ?? []);
            typingFrames[i]!++;
          }
        }),
    );
    for (let i = 0; i < receivers.length; i += 20) await Promise.all(receivers.slice(i, i + 20).map((r) => r.connect()));
    try {
      // Let presence changes from connecting settle so they are not counted as the burst's frames.
      await sleep(1000);
      const framesBefore = receivers.map((r) => r.frames);
      typingFrames.fill(0);
      const observer = memberCount - 1;
      const sameSet = (a: Set<string>) => a.size === expected.size && [...a].every((u) => expected.has(u));
      const { burstMs } = await ctx.phase('typing burst', async () => {
        const t0 = performance.now();
        await Promise.all(
          typers.map(async (typer, t) => {
            for (let j = 0; j < perTyper; j++) await setTyping(typer, roomId, j === perTyper - 1 ? t % 2 === 0 : j % 2 === 0);
          }),
        );
        const burstMs = performance.now() - t0;
        const deadline = Date.now() + 15_000;
        while (!sameSet(seen[observer]!) && Date.now() < deadline) await sleep(20);
        // Any batch still in flight lands within a batching window or two.
        await sleep(1000);
        return { burstMs };
      });
      const updates = typerCount * perTyper;
      const frames = receivers.map((r, i) => r.frames - framesBefore[i]!);
      const ops = ctx.requests?.('typing burst') ?? [];
      const pushes = sum(ops.filter((o) => o.operation === 'PostToConnection'), (o) => o.requests);
      const writes = ops.filter((o) => o.service === 'DynamoDB' && WRITE_OPERATIONS.includes(o.operation));
      const batches = sum(ops.filter((o) => o.service === LAMBDA_SERVICE && o.operation === BATCH_FUNCTION), (o) => o.requests);
      const final = seen[observer]!;
      const phase = 'typing burst';
      ctx.figure('typing updates', updates, 'count', phase);
      ctx.figure('burst duration', burstMs / 1000, 's', phase);
      ctx.figure('microbatch invocations', batches, 'count', phase);
      ctx.figure('frames per connection (mean)', frames.reduce((a, b) => a + b, 0) / frames.length, 'frames', phase);
      ctx.figure('frames per connection (max)', Math.max(...frames), 'frames', phase);
      ctx.figure('frames with m.typing per connection (max)', Math.max(...typingFrames), 'frames', phase);
      ctx.figure('pushes per typing update', pushes / updates, 'pushes', phase);
      ctx.figure('DynamoDB write requests per typing update', sum(writes, (o) => o.requests) / updates, 'requests', phase);
      ctx.figure('WCU per typing update', sum(writes, (o) => o.writeCapacityUnits) / updates, 'WCU', phase);
      ctx.figure('final typing set size seen by a member', final.size, 'users', phase);
      ctx.figure('final typing set as expected', sameSet(final) ? 1 : 0, 'bool', phase);
      ctx.log(
        `${updates} updates from ${typerCount} typers in ${(burstMs / 1000).toFixed(2)} s → ${batches} batches, ${pushes} pushes; ` +
          `frames/connection max ${Math.max(...frames)}; final set ${final.size} users (${sameSet(final) ? 'as expected' : `expected ${expected.size}`})`,
      );
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  },
};
