// The writes of one rooms record's counts: the tally's increment, the joiners' baselines and the
// members' exceptions, each guarded by its item's position (applied only while it is below the
// record's first event, and moving it to the last), so a redelivered record writes nothing twice.
// They go in one transaction when they fit (a sync never sees the tally without the sender's
// own −1); past 100 items the tally, the joiners and the first exceptions go together and the
// rest as single guarded writes after it. A failed guard (a redelivery, a receipt already past the
// record) leaves out the items already past and commits the others again.
import { inPool } from '../../core/concurrency.ts';
import { commit, getMany, isConditionFailed, WriteConflict, type WriteOp } from '../../core/pstate/index.ts';
import { MAX_TRANSACTION_ITEMS } from '../../core/table-writes.ts';
import { plus, type Counts, type RecordCounts, type Tally } from '../notification-counts.ts';
import { countsPath, tallyPath } from './counts.ts';

const PARALLEL_WRITES = 32;
const MAX_ROUNDS = 5;

type MemberPath = ReturnType<typeof countsPath>;

/** One item's guarded writes. */
interface ItemWrites {
  path: MemberPath | ReturnType<typeof tallyPath>;
  ops: WriteOp[];
}

function increments(path: ItemWrites['path'], counts: Counts, first: number, last: number): ItemWrites {
  // A tally has the member item's position, notifications and highlights fields: one writer for both.
  const item = path as MemberPath;
  const ops: WriteOp[] = [item.field('position').set(last, { ifBelow: first })];
  if (counts.notifications !== 0) ops.push(item.field('notifications').increment(counts.notifications));
  if (counts.highlights !== 0) ops.push(item.field('highlights').increment(counts.highlights));
  return { path, ops };
}

function baseline(path: MemberPath, tally: Counts, last: number, first: number): ItemWrites {
  return {
    path,
    ops: [
      path.field('position').set(last, { ifBelow: first }),
      path.field('baseNotifications').set(tally.notifications),
      path.field('baseHighlights').set(tally.highlights),
      path.field('notifications').set(0),
      path.field('highlights').set(0),
    ],
  };
}

const failedGuard = (e: unknown) => isConditionFailed(e) || e instanceof WriteConflict;

/** The items whose stored position is still below `first` (not written by an earlier delivery). */
async function stillBelow(items: readonly ItemWrites[], first: number): Promise<ItemWrites[]> {
  const stored = await getMany(items.map((i) => i.path), { consistent: true });
  return items.filter((_, i) => ((stored[i] as { position?: number } | undefined)?.position ?? -1) < first);
}

export interface AppliedRecord {
  /** The tally after the record, when known (the tally before it was given and its write applied). */
  tally?: Tally;
  /** Items written. */
  written: number;
}

/**
 * Write a record's counts. `tallyBefore`, the tally before the record, is needed only when the
 * record makes members join (their baseline is the tally after it).
 */
export async function applyRecordCounts(roomId: string, counts: RecordCounts, tallyBefore?: Tally): Promise<AppliedRecord> {
  const { first, last } = counts;
  const tallyWrite = counts.base.notifications || counts.base.highlights ? increments(tallyPath(roomId), counts.base, first, last) : undefined;
  const after: Tally | undefined = tallyBefore && (tallyWrite ? { ...plus(tallyBefore, counts.base), position: last } : tallyBefore);
  if (counts.joiners.length && !tallyBefore) throw new Error('internal: joiners need the tally before the record');
  const items: ItemWrites[] = [
    ...(tallyWrite ? [tallyWrite] : []),
    ...counts.joiners.map((u) => baseline(countsPath(u, roomId), after!, last, first)),
    ...counts.exceptions.map((e) => increments(countsPath(e.userId, roomId), e, first, last)),
  ];
  let pending = items;
  for (let round = 0; pending.length && round < MAX_ROUNDS; round++) {
    const together = pending.slice(0, MAX_TRANSACTION_ITEMS);
    try {
      await commit(together.flatMap((i) => i.ops));
    } catch (e) {
      if (!failedGuard(e)) throw e;
      pending = await stillBelow(pending, first);
      continue;
    }
    const rest = pending.slice(MAX_TRANSACTION_ITEMS);
    let written = together.length;
    await inPool(rest, PARALLEL_WRITES, async (item) => {
      try {
        await commit(item.ops);
        written++;
      } catch (e) {
        if (!failedGuard(e)) throw e;
      }
    });
    const tallyApplied = tallyWrite ? together.includes(tallyWrite) : true;
    return { written, ...(after && tallyApplied ? { tally: after } : {}) };
  }
  if (pending.length) throw new Error(`notification counts of ${roomId} at ${first}..${last} kept failing their guards`);
  return { written: 0 };
}
