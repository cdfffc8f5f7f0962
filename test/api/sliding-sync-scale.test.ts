// Sliding sync's first window does not read more as a user's rooms grow (issue 19): the list is
// read from the user's activity index (lib/matrix/rooms/activity-index.ts) by range, so the
// DynamoDB requests and the items they return for a window of 20 are the same with 20, 100 and
// 500 rooms, up to a constant. The figures are printed for the README.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPool } from '../../lib/core/concurrency.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { measureAws, type AwsCost } from '../support/aws-requests.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, send } from './rooms-support.ts';
import { slidingSync } from './sliding-sync-support.ts';

const WINDOW = 20;
const firstWindow = (connId: string) => ({
  conn_id: connId,
  lists: { all: { ranges: [[0, WINDOW - 1]], timeline_limit: 1, required_state: [['m.room.name', '']] } },
});

describe('sliding sync at scale', () => {
  let runtime: LocalRuntime;
  let user: RegisteredUser;
  const rooms: string[] = [];
  let connections = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime('sliding-sync-scale', { sync: 'lambda', activityIndex: true });
    user = await registerUser(new TestClient(runtime.httpUrl));
  });
  afterAll(() => runtime?.stop());

  const growTo = async (n: number) => {
    const added = await inPool(
      Array.from({ length: n - rooms.length }, (_, i) => rooms.length + i),
      8,
      (i) => createRoom(user.client, { name: `room ${i}` }),
    );
    rooms.push(...added);
  };

  /** The cheaper of two first windows on new connections (the local pollers add noise of their own). */
  const measureWindow = async (): Promise<{ cost: AwsCost; body: Awaited<ReturnType<typeof slidingSync>> }> => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const { result, cost } = await measureAws(() => slidingSync(user.client, firstWindow(`c${connections++}`)));
      runs.push({ cost, body: result });
    }
    return runs.sort((a, b) => a.cost.dynamo - b.cost.dynamo)[0]!;
  };

  it('answers the first window of 20 with reads independent of the number of rooms', { timeout: 600_000, retry: 0 }, async () => {
    // The user's first sliding sync, before any room: their index needs no build later.
    await slidingSync(user.client, firstWindow('warm-up'));
    const figures: Record<number, AwsCost> = {};
    for (const n of [20, 100, 500]) {
      await growTo(n);
      const { cost, body } = await measureWindow();
      figures[n] = cost;
      expect(body.lists?.all?.count).toBe(n);
      expect(Object.keys(body.rooms ?? {})).toHaveLength(WINDOW);
      const stamps = Object.values(body.rooms ?? {}).map((r) => r.bump_stamp!);
      expect(Math.min(...stamps)).toBeGreaterThan(0);
    }
    console.log(
      'sliding sync, first window of 20:',
      Object.entries(figures).map(([n, c]) => `${n} rooms: ${c.dynamo} DynamoDB requests, ${c.dynamoItemsRead} items, ${c.dynamoReadUnits} RCU`).join('; '),
    );
    // Up to a constant (noise: a topology's or poller's request landing in the measured moment), not per room.
    expect(figures[500]!.dynamo).toBeLessThanOrEqual(figures[20]!.dynamo + 6);
    expect(figures[500]!.dynamoItemsRead).toBeLessThanOrEqual(figures[20]!.dynamoItemsRead + 12);

    // A message in the oldest room puts it first in everyone's window at once (the index's fan-out).
    await send(user.client, rooms[0]!, { msgtype: 'm.text', body: 'bump' });
    const top = await slidingSync(user.client, {
      conn_id: 'top',
      lists: { all: { ranges: [[0, 0]], timeline_limit: 1, required_state: [] } },
    });
    expect(Object.keys(top.rooms ?? {})).toEqual([rooms[0]]);
    expect(top.lists?.all?.count).toBe(500);
  });
});
