// Who a committed room record wakes: long-polling users only. A member online only through a
// WebSocket connection gets a push frame, so a wake bump for them would be a write nobody reads.
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../lib/core/pstate/index.ts';
import { ensureTable } from '../../lib/core/table.ts';
import { roomOnlineMembers } from '../../lib/matrix/pstates.ts';
import { CONNECTED_ONLINE_MS, markConnectedOnline } from '../../lib/matrix/push/online.ts';
import { goOnline, needsRenewal, ONLINE_TTL_MS, readWake, RENEW_BEFORE_MS, wakeAfterRoomCommit, wakePollingUsers } from '../../lib/matrix/sync/wake.ts';
import { useTestEngines } from '../support/engines.ts';

useTestEngines('sync-wake');

/** Put a user in a room's online list directly (as a registration in a joined room would). */
async function onlineIn(roomId: string, userId: string, until: number): Promise<void> {
  await commit([roomOnlineMembers.key(roomId).key(userId).set(until)]);
}

describe('waking after a room commit', () => {
  beforeAll(async () => {
    await ensureTable();
  });

  it('bumps long-polling members and membership targets, not members that are only connected', async () => {
    const room = '!wake:localhost';
    const [poller, connected, both, offlineTarget, pollingTarget] = ['@poller:x', '@connected:x', '@both:x', '@offline:x', '@target:x'];
    await goOnline(poller);
    await markConnectedOnline(connected);
    await markConnectedOnline(both);
    await goOnline(both);
    await goOnline(pollingTarget);
    const until = Date.now() + ONLINE_TTL_MS;
    for (const u of [poller, connected, both]) await onlineIn(room, u, until);

    await wakeAfterRoomCommit(room, [offlineTarget, pollingTarget]);

    const wakes = async (u: string) => (await readWake(u)).wakes;
    expect(await wakes(poller)).toBe(1);
    expect(await wakes(both)).toBe(1);
    expect(await wakes(pollingTarget)).toBe(1);
    expect(await wakes(connected)).toBe(0);
    expect(await wakes(offlineTarget)).toBe(0);
    // The online target is registered in the room it just joined (for its next events and pushes).
    expect(await roomOnlineMembers.key(room).key(pollingTarget).get({ consistent: true })).toBeGreaterThan(Date.now());
  });

  it('wakePollingUsers skips users whose long-poll registration expired', async () => {
    const [active, stale] = ['@active:y', '@stale:y'];
    await goOnline(active);
    await goOnline(stale, Date.now() - 2 * ONLINE_TTL_MS);
    await wakePollingUsers([active, stale, active]);
    expect((await readWake(active)).wakes).toBe(1);
    expect((await readWake(stale)).wakes).toBe(0);
  });

  it('a long-poll renews its own registration even while a connection keeps the user online', async () => {
    const user = '@renews:z';
    const now = Date.now();
    await markConnectedOnline(user, now);
    const connectedOnly = await readWake(user);
    expect(connectedOnly.onlineUntil).toBe(now + CONNECTED_ONLINE_MS);
    expect(needsRenewal(connectedOnly, now)).toBe(true);
    await goOnline(user, now, connectedOnly);
    const polling = await readWake(user);
    expect(polling.pollingUntil).toBe(now + ONLINE_TTL_MS);
    // Registrations only extend: the connection's longer one stays.
    expect(polling.onlineUntil).toBe(now + CONNECTED_ONLINE_MS);
    expect(needsRenewal(polling, now + ONLINE_TTL_MS - RENEW_BEFORE_MS - 1)).toBe(false);
  });
});
