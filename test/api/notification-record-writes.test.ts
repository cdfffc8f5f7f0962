// A rooms record's count writes against DynamoDB Local: the tally, joiners' baselines and
// members' exceptions, past one transaction's 100 items, applied exactly once however often the
// record is delivered, converging after a crash part-way, and leaving out a member a receipt has
// already moved past the record.
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../lib/core/pstate/index.ts';
import { ensureTable } from '../../lib/core/table.ts';
import type { RecordCounts, Tally } from '../../lib/matrix/notification-counts.ts';
import { countsPath, tallyPath } from '../../lib/matrix/notifications/counts.ts';
import { applyRecordCounts } from '../../lib/matrix/notifications/record-writes.ts';
import { useTestEngines } from '../support/engines.ts';

const user = (i: number) => `@u${i}:localhost`;

/** A message record at positions 41..42 with `n` exceptions (the sender −2, the others +1 highlight each) and one joiner. */
function record(n: number): RecordCounts {
  return {
    first: 41,
    last: 42,
    base: { notifications: 2, highlights: 0 },
    exceptions: Array.from({ length: n }, (_, i) => (i === 0 ? { userId: user(0), notifications: -2, highlights: 0 } : { userId: user(i), notifications: 0, highlights: 1 })),
    joiners: ['@joiner:localhost'],
  };
}

const before: Tally = { position: 40, notifications: 30, highlights: 3 };

async function stored(roomId: string, counts: RecordCounts) {
  const users = [...counts.joiners, ...counts.exceptions.map((e) => e.userId)];
  const [tally, ...items] = await Promise.all([
    tallyPath(roomId).get({ consistent: true }),
    ...users.map((u) => countsPath(u, roomId).get({ consistent: true })),
  ]);
  return { tally, items: Object.fromEntries(users.map((u, i) => [u, items[i]])) };
}

async function seedTally(roomId: string) {
  await commit([tallyPath(roomId).set(before)]);
}

describe('a record\'s count writes', () => {
  beforeAll(async () => {
    useTestEngines('notification-writes');
    await ensureTable();
  });

  it('writes the tally, the joiner and 150 exceptions once; a redelivery writes nothing', async () => {
    const roomId = '!big:localhost';
    await seedTally(roomId);
    const counts = record(150);
    const applied = await applyRecordCounts(roomId, counts, before);
    expect(applied).toEqual({ written: 152, tally: { position: 42, notifications: 32, highlights: 3 } });
    const first = await stored(roomId, counts);
    expect(first.tally).toEqual({ position: 42, notifications: 32, highlights: 3 });
    expect(first.items['@joiner:localhost']).toEqual({ position: 42, baseNotifications: 32, baseHighlights: 3, notifications: 0, highlights: 0 });
    expect(first.items[user(0)]).toEqual({ position: 42, notifications: -2 });
    for (let i = 1; i < 150; i++) expect(first.items[user(i)], user(i)).toEqual({ position: 42, highlights: 1 });

    expect(await applyRecordCounts(roomId, counts, first.tally as Tally)).toEqual({ written: 0 });
    expect(await stored(roomId, counts)).toEqual(first);
  });

  it('converges after a crash that left the first transaction and some single writes applied', async () => {
    const roomId = '!crashed:localhost';
    await seedTally(roomId);
    const counts = record(150);
    // What a crash after the transaction (tally, joiner, 98 exceptions) and 20 single writes leaves.
    await applyRecordCounts(roomId, { ...counts, exceptions: counts.exceptions.slice(0, 118) }, before);
    const applied = await applyRecordCounts(roomId, counts, before);
    expect(applied.written).toBe(32);
    const after = await stored(roomId, counts);
    expect(after.tally).toEqual({ position: 42, notifications: 32, highlights: 3 });
    expect(after.items['@joiner:localhost']).toMatchObject({ baseNotifications: 32, notifications: 0 });
    expect(after.items[user(0)]).toEqual({ position: 42, notifications: -2 });
    for (let i = 1; i < 150; i++) expect(after.items[user(i)], user(i)).toEqual({ position: 42, highlights: 1 });
  });

  it('leaves out a member whose receipt is already past the record and writes the others together', async () => {
    const roomId = '!read:localhost';
    await seedTally(roomId);
    const counts = record(3);
    const reader = countsPath(user(2), roomId);
    await commit([reader.set({ position: 42, readPosition: 42, baseNotifications: 32, baseHighlights: 3, notifications: 0, highlights: 0 })]);
    const applied = await applyRecordCounts(roomId, counts, before);
    expect(applied.written).toBe(4);
    const after = await stored(roomId, counts);
    expect(after.tally).toEqual({ position: 42, notifications: 32, highlights: 3 });
    expect(after.items[user(1)]).toEqual({ position: 42, highlights: 1 });
    expect(after.items[user(2)]).toEqual({ position: 42, readPosition: 42, baseNotifications: 32, baseHighlights: 3, notifications: 0, highlights: 0 });
  });
});
