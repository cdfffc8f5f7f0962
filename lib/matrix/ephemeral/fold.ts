// The ephemeral microbatch fold: a whole batch of typing, receipt and presence records becomes one
// write per touched room, receipt and user, committed with the shard checkpoint (exactly once).
// A burst of 1,000 typing updates in one room is one item write and one push, not 1,000.
//
// Times come from the records (when Kinesis received them), not from the clock at fold time, so a
// fold run again for the same records plans the same writes.
import { recordAckOutcome } from '../../core/ack.ts';
import { getMany, prepare, type WriteOp } from '../../core/pstate/index.ts';
import type { FoldResult } from '../../core/topology/microbatch.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { presence, roomEphemeral, roomReceipts } from '../pstates.ts';
import { watermarkWrite } from '../sync/watermark.ts';
import type { EphemeralCommand, EphemeralCommandOf } from './commands.ts';
import { applyPresenceUpdates, presenceView, type StoredPresence } from './presence.ts';
import { parseReceiptKey, receiptKey, type StoredReceipt } from './receipts.ts';
import { receiptCountOps } from '../notifications/receipts.ts';
import { applyTypingUpdates, sameUsers, typingUsers, type TypingUpdate } from './typing.ts';


/** What a committed batch changed, for pushes and wake-ups. */
export interface EphemeralChanges {
  /** room id → the new typing set, for rooms whose set of typing users changed. */
  typing: Map<string, string[]>;
  /** room id → the receipts written there (key, receipt). */
  receipts: Map<string, [string, StoredReceipt][]>;
  /** user id → the new stored presence. */
  presence: Map<string, StoredPresence>;
  /** The batch's position (sequencePosition of its last record) and shard. */
  seq: string;
  shardId: string;
}

type Typing = EphemeralCommandOf<'ephemeral.typing'>;
type Receipt = EphemeralCommandOf<'ephemeral.receipt'>;
type Presence = EphemeralCommandOf<'ephemeral.presence'>;

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

/** Plan the batch: read what it builds on, compute new values, and say what changed. */
export async function planEphemeralBatch(records: readonly DepotRecord<EphemeralCommand>[]): Promise<{ ops: WriteOp[]; changes: EphemeralChanges }> {
  const last = records.at(-1)!;
  const seq = sequencePosition(last.sequenceNumber);
  const shardId = last.shardId;
  const now = Math.max(...records.map((r) => r.arrivedAt));
  const of = <K extends EphemeralCommand['kind']>(kind: K) =>
    records.filter((r) => r.payload.kind === kind) as DepotRecord<EphemeralCommandOf<K>>[];

  const typingByRoom = groupBy(of('ephemeral.typing'), (r) => r.payload.roomId);
  const receiptsByRoom = groupBy(of('ephemeral.receipt'), (r) => r.payload.roomId);
  const presenceByUser = groupBy(of('ephemeral.presence'), (r) => r.payload.userId);
  const roomIds = [...new Set([...typingByRoom.keys(), ...receiptsByRoom.keys()])];

  // Receipts: the latest per (room, type, thread, user), in depot order.
  const latestReceipts = new Map<string, { roomId: string; key: string; record: DepotRecord<Receipt> }>();
  for (const [roomId, list] of receiptsByRoom) {
    for (const r of list) {
      const key = receiptKey(r.payload.receiptType, r.payload.threadId, r.payload.userId);
      const id = `${roomId}\u0000${key}`;
      const seen = latestReceipts.get(id);
      if (!seen || r.payload.position >= seen.record.payload.position) latestReceipts.set(id, { roomId, key, record: r });
    }
  }
  const receiptList = [...latestReceipts.values()];
  const userIds = [...presenceByUser.keys()];

  const [rooms, storedReceipts, storedPresence] = await Promise.all([
    roomIds.length ? getMany(roomIds.map((id) => roomEphemeral.key(id)), { consistent: true }) : Promise.resolve([]),
    receiptList.length
      ? getMany(receiptList.map((r) => roomReceipts.key(r.roomId).key(r.key)), { consistent: true })
      : Promise.resolve([]),
    userIds.length ? getMany(userIds.map((id) => presence.key(id)), { consistent: true }) : Promise.resolve([]),
  ]);

  const ops: WriteOp[] = [];
  const changes: EphemeralChanges = { typing: new Map(), receipts: new Map(), presence: new Map(), seq, shardId };

  // Receipts first: which rooms' receipts moved.
  receiptList.forEach(({ roomId, key, record }, i) => {
    const stored = storedReceipts[i] as StoredReceipt | undefined;
    if (stored && stored.position > record.payload.position) return; // receipts never move back
    if (stored && stored.eventId === record.payload.eventId && stored.position === record.payload.position) return;
    const receipt: StoredReceipt = {
      eventId: record.payload.eventId,
      ts: record.arrivedAt,
      threadId: record.payload.threadId,
      position: record.payload.position,
      seq,
    };
    ops.push(roomReceipts.key(roomId).key(key).set(receipt));
    const list = changes.receipts.get(roomId);
    if (list) list.push([key, receipt]);
    else changes.receipts.set(roomId, [[key, receipt]]);
  });

  // Read receipts clear the reader's notification counts (lib/matrix/notifications/receipts.ts).
  const folded = [...changes.receipts].flatMap(([roomId, list]) =>
    list.map(([key, r]) => {
      const { userId, threadId } = parseReceiptKey(key);
      return { roomId, userId, threadId, position: r.position };
    }),
  );
  ops.push(...(await receiptCountOps(folded)));

  roomIds.forEach((roomId, i) => {
    const stored = rooms[i] as { typing: Record<string, number>; typingSeq: string; receiptsSeq: string } | undefined;
    const before = stored?.typing ?? {};
    const updates: TypingUpdate[] = (typingByRoom.get(roomId) ?? []).map((r: DepotRecord<Typing>) => ({
      userId: r.payload.userId,
      typing: r.payload.typing,
      timeoutMs: r.payload.timeoutMs,
      at: r.arrivedAt,
    }));
    const after = updates.length ? applyTypingUpdates(before, updates, now) : before;
    const typingChanged = updates.length > 0 && !sameUsers(typingUsers(before, now), typingUsers(after, now));
    const receiptsChanged = changes.receipts.has(roomId);
    if (typingChanged) changes.typing.set(roomId, typingUsers(after, now));
    // Extending someone's timeout changes the item but nobody's view: no new position, no push.
    if (!typingChanged && !receiptsChanged && JSON.stringify(before) === JSON.stringify(after)) return;
    ops.push(
      roomEphemeral.key(roomId).set({
        typing: after,
        typingSeq: typingChanged ? seq : (stored?.typingSeq ?? ''),
        receiptsSeq: receiptsChanged ? seq : (stored?.receiptsSeq ?? ''),
        shardId,
      }),
    );
  });

  userIds.forEach((userId, i) => {
    const stored = storedPresence[i] as (StoredPresence & { seq: string; shardId: string }) | undefined;
    const next = applyPresenceUpdates(
      stored,
      presenceByUser.get(userId)!.map((r: DepotRecord<Presence>) => ({
        presence: r.payload.presence,
        ...(r.payload.statusMsg !== undefined ? { statusMsg: r.payload.statusMsg } : {}),
        ...(r.payload.deviceId !== undefined ? { deviceId: r.payload.deviceId } : {}),
        at: r.arrivedAt,
      })),
    );
    // Activity alone (a sync marking an online user online again) changes nobody's view: it is
    // stored without a new position, so it neither wakes nor pushes to anyone.
    const seen = (p: StoredPresence | undefined) => {
      const view = presenceView(p, now);
      return `${view.presence}\u0000${view.status_msg ?? ''}`;
    };
    const visible = !stored?.shardId || seen(stored) !== seen(next);
    ops.push(presence.key(userId).set({ ...next, seq: visible ? seq : stored.seq, shardId: visible ? shardId : stored.shardId }));
    if (visible) changes.presence.set(userId, next);
  });

  ops.push(watermarkWrite('ephemeral', shardId, seq));
  if (changes.presence.size > 0) ops.push(watermarkWrite('presence', shardId, seq));
  return { ops, changes };
}

export type AfterEphemeralCommit = (changes: EphemeralChanges) => Promise<void>;

/**
 * Fold a batch. After the commit: answer the appenders that wait (receipts, PUT /presence), then
 * `notify` (pushes and wake-ups). Acks come after the commit, so an answered request is visible.
 */
export async function foldEphemeralBatch(
  records: readonly DepotRecord<EphemeralCommand>[],
  topology: string,
  notify?: AfterEphemeralCommit,
): Promise<FoldResult> {
  const { ops, changes } = await planEphemeralBatch(records);
  const writes = await prepare(ops);
  const waiting = records.flatMap((r) => (r.requestId !== undefined ? [r.requestId] : []));
  return {
    writes,
    afterCommit: async () => {
      await Promise.all(waiting.map((requestId) => recordAckOutcome(requestId, { ok: true, value: {} }, topology)));
      if (notify) await notify(changes);
    },
  };
}
