// The ephemeral parts of /sync: `rooms.join.<id>.ephemeral` (m.typing, m.receipt) and `presence`.
// A sync token carries an EphemeralCursor: per shard of the ephemeral depot the batch position
// up to which the client has everything (read from the watermark the fold commits with its
// writes, BEFORE the items, so nothing committed below it can be missed), plus the time of the
// sync, because typing also changes without a write: when a timeout runs out.
import { getMany } from '../../core/pstate/index.ts';
import { presence, roomEphemeral, roomMembers, roomReceipts } from '../pstates.ts';
import { readAllWatermarks, type Watermarks } from '../sync/watermark.ts';
import { presenceEvent, presenceView, type StoredPresence } from './presence.ts';
import { receiptEvent, visibleTo, type StoredReceipt } from './receipts.ts';
import { expiredBetween, typingEvent, typingUsers } from './typing.ts';
import type { EphemeralCursor } from './cursor.ts';

/** Bounds of the presence fan-in: co-members of at most this many rooms and users. */
export const PRESENCE_MAX_ROOMS = 50;
export const PRESENCE_MAX_USERS = 1000;

type EphemeralEvent = { type: string; content: Record<string, unknown> };

export interface EphemeralSync {
  /** room id → its `ephemeral.events` (rooms with nothing to deliver are absent). */
  rooms: Map<string, EphemeralEvent[]>;
  /** The `presence.events`. */
  presence: ReturnType<typeof presenceEvent>[];
  next: EphemeralCursor;
}

const inWindow = (seq: string, lo: string, hi: string) => seq > lo && seq <= hi;

async function allReceipts(roomId: string): Promise<[string, StoredReceipt][]> {
  const receipts = await roomReceipts.key(roomId).entries({ consistent: true, limit: 500 });
  return receipts.map(([key, r]) => [key, r as StoredReceipt]);
}

async function coMembers(userId: string, roomIds: readonly string[]): Promise<string[]> {
  const users = new Set<string>([userId]);
  for (const roomId of roomIds.slice(0, PRESENCE_MAX_ROOMS)) {
    let cursor: string | undefined;
    do {
      const page = await roomMembers.key(roomId).range({ limit: 500, ...(cursor ? { cursor } : {}) });
      for (const [member, m] of page.entries) if (m.membership === 'join') users.add(member);
      cursor = page.cursor;
    } while (cursor && users.size < PRESENCE_MAX_USERS);
    if (users.size >= PRESENCE_MAX_USERS) break;
  }
  return [...users].slice(0, PRESENCE_MAX_USERS);
}

/**
 * What `userId` gets in the ephemeral sections for its joined rooms: everything current on an
 * initial sync (no `since`), else what changed after `since`. Costs: two watermark Queries, one
 * BatchGet of the rooms' ephemeral items, a receipts range per room whose receipts changed, and
 * only when some presence changed, the co-members (bounded) and their presence items.
 */
export async function ephemeralForSync(
  userId: string,
  joinedRoomIds: readonly string[],
  since?: EphemeralCursor,
  /** The watermarks the sync pass read (read here when absent). */
  marks?: Pick<Watermarks, 'ephemeral' | 'presence'>,
  now = Date.now(),
  /** Whether presence is wanted (sliding sync has no presence section: its co-member reads are skipped). */
  withPresence = true,
): Promise<EphemeralSync> {
  const { ephemeral: watermarks, presence: presenceMarks } = marks ?? (await readAllWatermarks());
  const lo = (shard: string) => since?.positions[shard] ?? '';
  const hi = (shard: string) => watermarks[shard] ?? '';
  const changed = (seq: string, shard: string) => !since || inWindow(seq, lo(shard), hi(shard));

  const rooms = new Map<string, EphemeralEvent[]>();
  const items = joinedRoomIds.length ? await getMany(joinedRoomIds.map((id) => roomEphemeral.key(id)), { consistent: true }) : [];
  await Promise.all(
    joinedRoomIds.map(async (roomId, i) => {
      const item = items[i];
      if (!item?.shardId) return;
      const shard = item.shardId;
      const events: EphemeralEvent[] = [];
      const typing = typingUsers(item.typing, now);
      const typingMoved = since
        ? (item.typingSeq !== undefined && item.typingSeq !== '' && changed(item.typingSeq, shard)) || expiredBetween(item.typing, since.at, now)
        : typing.length > 0;
      if (typingMoved) events.push(typingEvent(typing));
      if (item.receiptsSeq && changed(item.receiptsSeq, shard)) {
        const receipts = (await allReceipts(roomId)).filter(([key, r]) => visibleTo(userId, key) && changed(r.seq, shard));
        const event = receiptEvent(receipts);
        if (event) events.push(event);
      }
      if (events.length) rooms.set(roomId, events);
    }),
  );

  let presenceEvents: ReturnType<typeof presenceEvent>[] = [];
  const presenceMoved = withPresence && (!since || Object.entries(presenceMarks).some(([shard, mark]) => mark > lo(shard)));
  if (presenceMoved) {
    const users = await coMembers(userId, joinedRoomIds);
    const stored = await getMany(users.map((u) => presence.key(u)), { consistent: true });
    presenceEvents = users.flatMap((u, i) => {
      const p = stored[i];
      if (!p?.shardId || !changed(p.seq ?? '', p.shardId)) return [];
      return [presenceEvent(u, presenceView(p as StoredPresence, now))];
    });
  }

  const positions: Record<string, string> = { ...(since?.positions ?? {}) };
  for (const [shard, position] of Object.entries(watermarks)) if (!(positions[shard]! >= position)) positions[shard] = position;
  return { rooms, presence: presenceEvents, next: { positions, at: now } };
}

/**
 * Presence of users an incremental sync meets for the first time, changed or not (Synapse: the
 * members of rooms the user newly joined, and users newly joined to the user's rooms), skipping
 * those already in the section. Users who never had presence are left out, as above.
 */
export async function newcomersPresence(
  userId: string,
  newlyJoinedRooms: readonly string[],
  newlyJoinedUsers: readonly string[],
  already: ReadonlySet<string>,
  now = Date.now(),
): Promise<ReturnType<typeof presenceEvent>[]> {
  const members = newlyJoinedRooms.length ? await coMembers(userId, newlyJoinedRooms) : [];
  const users = [...new Set([...members, ...newlyJoinedUsers])].filter((u) => u !== userId && !already.has(u)).slice(0, PRESENCE_MAX_USERS);
  if (!users.length) return [];
  const stored = await getMany(users.map((u) => presence.key(u)), { consistent: true });
  return users.flatMap((u, i) => {
    const p = stored[i];
    return p?.shardId ? [presenceEvent(u, presenceView(p as StoredPresence, now))] : [];
  });
}
