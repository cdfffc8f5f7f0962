// The consistent cut one sync works on: the rooms watermarks, then the user's memberships, each
// membership at or below its lane's watermark (so the membership the sync acts on is the one in
// force at the cut). A membership read after the watermarks may be newer than them; then the
// watermarks are read again and the memberships after them, until they agree (a user's own
// memberships rarely change within milliseconds, so this nearly always takes one round).
import { getMany, inSharedReads } from '../../core/pstate/index.ts';
import { limitExceeded } from '../errors.ts';
import { memberRooms, membershipHistory, roomInfo, roomTimeline } from '../pstates.ts';
import { NOTHING, type ShardPositions } from './token.ts';
import { readAllWatermarks } from './watermark.ts';
import { backOff } from '../../core/backoff.ts';

export interface Membership {
  roomId: string;
  membership: string;
  eventId: string;
  /** Position of the membership event in the room's timeline. */
  position: number;
  /** sequencePosition of the record that set it. */
  seq: string;
  forgotten: boolean;
  /** The room's lane in the rooms depot (lib/core/partitions.ts). */
  lane: string;
  /** sequencePosition of the room's newest record. */
  lastSeq: string;
  lastPosition: number;
  joinedCount: number;
  invitedCount: number;
  /** The room's last activity for room lists (roomInfo.bumpStamp, else its creation). */
  bumpStamp: number;
}

export interface RoomsCut {
  watermarks: ShardPositions;
  memberships: Membership[];
}

const MAX_ROUNDS = 8;

/**
 * The cut did not settle on watermarks read for several passes at once (the sync service's woken
 * polls): its next round needs fresh reads, which reads shared with other passes are not. The pass
 * runs again on its own.
 */
export class CutMoved extends Error {
  override name = 'CutMoved';
}

type StoredMembership = Omit<Membership, 'lane' | 'lastSeq' | 'lastPosition' | 'joinedCount' | 'invitedCount' | 'bumpStamp'>;

/** The user's memberships: all of them, or those in `roomIds` (one BatchGet; rooms the user was never in are left out). */
async function readMemberships(userId: string, roomIds?: readonly string[]): Promise<StoredMembership[]> {
  const rooms = roomIds
    ? (await getMany(roomIds.map((id) => memberRooms.key(userId).key(id)), { consistent: true })).flatMap((m, i) => (m ? [[roomIds[i]!, m] as const] : []))
    : await memberRooms.key(userId).entries({ consistent: true, limit: 500 });
  return rooms.map(([roomId, m]) => ({
    roomId,
    membership: m.membership ?? 'leave',
    eventId: m.eventId ?? '',
    position: m.position ?? 0,
    seq: m.seq ?? NOTHING,
    forgotten: m.forgotten ?? false,
  }));
}

/**
 * `watermarks`: the rooms watermarks the caller read just before (saves the first read).
 * `roomIds`: only the user's memberships in these rooms (sliding sync's windows), else all of them.
 */
export async function readRoomsCut(userId: string, watermarksRead?: ShardPositions, roomIds?: readonly string[]): Promise<RoomsCut> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const watermarks = round === 0 && watermarksRead ? watermarksRead : (await readAllWatermarks()).rooms;
    const memberships = await readMemberships(userId, roomIds);
    const infos = await getMany(memberships.map((m) => roomInfo.key(m.roomId)), { consistent: true });
    const full = memberships.map((m, i) => ({
      ...m,
      lane: infos[i]?.shardId ?? '',
      lastSeq: infos[i]?.lastSeq ?? NOTHING,
      lastPosition: infos[i]?.lastPosition ?? 0,
      joinedCount: infos[i]?.joinedCount ?? 0,
      invitedCount: infos[i]?.invitedCount ?? 0,
      bumpStamp: infos[i]?.bumpStamp ?? infos[i]?.createdTs ?? 0,
    }));
    // A room without info (none yet) is skipped by the assembly, so it cannot unsettle the cut.
    const settled = full.every((m) => !m.lane || m.seq <= (watermarks[m.lane] ?? NOTHING));
    if (settled) return { watermarks, memberships: full };
    if (inSharedReads()) throw new CutMoved(`memberships of ${userId} moved past the shared watermarks`);
    await backOff(round, { baseMs: 5, maxMs: 1_000, jitter: 'none' });
  }
  // The user's memberships keep changing under us: the client retries (never a wrong delta).
  throw limitExceeded(500);
}

/**
 * Whether the user's join took place in (lo, …]: memberRooms also moves on profile changes
 * (join → join), which must not make a room look newly joined (its whole timeline again).
 */
export async function joinedSince(userId: string, m: Pick<Membership, 'roomId' | 'position'>, lo: string): Promise<boolean> {
  const last = await membershipHistory.key(m.roomId).key(userId).range({ reverse: true, limit: 1, consistent: true });
  const change = last.entries[0]?.[1];
  if (!change?.position || change.membership !== 'join') return true;
  if (change.position === m.position) return true;
  const entry = await roomTimeline.key(m.roomId).key(change.position - 1).get({ consistent: true });
  return entry?.seq === undefined || entry.seq > lo;
}
