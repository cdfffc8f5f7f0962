// The wake states a sync service instance keeps (lib/matrix/sync/service/known-wakes.ts): a state
// a read confirmed is used without reading again for a while, with the counts notices said since;
// a count told during a read is not lost; nothing is trusted after a notice without a count, after
// the subscription dropped, or once the read that vouched for it is too old.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../lib/core/table.ts';
import { syncWake } from '../../lib/matrix/pstates.ts';
import { KnownWakes } from '../../lib/matrix/sync/service/known-wakes.ts';
import { wakeUsers } from '../../lib/matrix/sync/wake.ts';
import { commit } from '../../lib/core/pstate/index.ts';
import { countRequests } from '../support/aws-requests.ts';
import { useTestEngines } from '../support/engines.ts';

useTestEngines('known-wakes');

/** The wake item reads sent while `fn` runs; `during` runs as each one is answered. */
const wakeReads = (fn: () => Promise<unknown>, during?: () => void) =>
  countRequests((r) => JSON.stringify(r.input).includes('syncWake'), fn, during);

describe('known wake states', () => {
  beforeAll(async () => {
    await ensureTable();
  });

  it('reads a user once, then answers with the counts notices said', async () => {
    const known = new KnownWakes(60_000);
    const user = '@known:x';
    await wakeUsers([user]);
    let first;
    expect(await wakeReads(async () => (first = await known.read(user)))).toBe(1);
    expect(first!.wakes).toBe(1);
    known.told(user, 3);
    known.told(user, 2); // an older notice arriving late lowers nothing
    known.registered(user, 5_000_000);
    let again;
    expect(await wakeReads(async () => (again = await known.read(user)))).toBe(0);
    expect(again).toMatchObject({ wakes: 3, pollingUntil: 5_000_000, onlineUntil: 5_000_000 });
    known.stop();
  });

  it('keeps a count told while the read was in flight', async () => {
    const known = new KnownWakes(60_000);
    const user = '@racing:x';
    await commit([syncWake.key(user).field('wakes').set(4)]);
    let state;
    // The notice of bump 5 arrives after the item was read as 4, before the read returns.
    await wakeReads(async () => (state = await known.read(user)), () => known.told(user, 5));
    expect(state!.wakes).toBe(5);
    expect((await known.read(user)).wakes).toBe(5);
    known.stop();
  });

  it('reads again after a notice without a count, after the subscription dropped, and once its read is old', async () => {
    const user = '@unsure:x';
    const known = new KnownWakes(60_000);
    await known.read(user);
    known.forget(user);
    expect(await wakeReads(() => known.read(user))).toBe(1);
    known.forgetAll();
    expect(await wakeReads(() => known.read(user))).toBe(1);
    expect(await wakeReads(() => known.read(user))).toBe(0);
    known.stop();

    const shortLived = new KnownWakes(1);
    await shortLived.read(user);
    await new Promise((r) => setTimeout(r, 5));
    expect(await wakeReads(() => shortLived.read(user))).toBe(1);
    shortLived.stop();
  });
});
