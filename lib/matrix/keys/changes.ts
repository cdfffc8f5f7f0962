// Device-list changes between two sync positions: the users who share a room with the requester
// (and the requester) whose device keys changed in (from, to] of the keys stream, plus the users
// whose master key the requester signed then. Each change is a single per-user position, so a user
// shows up once per window however many rooms are shared. `left`: users who shared a room with the
// requester and share none any more, through a membership change after the token's rooms position
// (the requester's own leave, or theirs), as Synapse computes it; they are not also `changed`.
//
// Cost: a sync is mostly a long-poll woken by a message, so nothing is read when it cannot matter:
// no co-member is read while the keys window is empty, and `left` looks only into the rooms with an
// event after the token. What remains is read in batches (one Query per room's members, BatchGetItem
// for the per-user items), each room's members once per call.
import { getMany } from '../../core/pstate/index.ts';
import { memberRooms, roomInfo, roomMembers, deviceListChanges, signatureChanges } from '../pstates.ts';
import { inWindow, NOTHING, type ShardPositions } from '../sync/token.ts';

type Membership = { membership?: string; seq?: string };

/** One of the requester's rooms as a sync's cut has it (lib/matrix/sync/cut.ts `Membership` fits). */
export interface RequesterRoom {
  roomId: string;
  /** The requester's membership there. */
  membership: string;
  /** sequencePosition of the requester's membership change. */
  seq: string;
  /** The room's shard of the rooms depot ('' when the room has no info yet). */
  shardId: string;
  /** sequencePosition of the room's newest record. */
  lastSeq: string;
}

/** Above every sequencePosition (digits only). */
const UNBOUNDED = '\uffff';

/** The requester's rooms with their shard and newest position (one batched roomInfo read). */
async function requesterRooms(userId: string): Promise<RequesterRoom[]> {
  const rooms = await memberRooms.key(userId).entries();
  const infos = await getMany(rooms.map(([roomId]) => roomInfo.key(roomId)));
  return rooms.map(([roomId, m], i) => ({
    roomId,
    membership: m.membership ?? 'leave',
    seq: m.seq ?? NOTHING,
    shardId: infos[i]?.shardId ?? '',
    lastSeq: infos[i]?.lastSeq ?? NOTHING,
  }));
}

/** Each room's members read once per computation, whoever asks first. */
function memberCache(): (roomId: string) => Promise<[string, Membership][]> {
  const cache = new Map<string, Promise<[string, Membership][]>>();
  return (roomId) => {
    let members = cache.get(roomId);
    if (!members) cache.set(roomId, (members = roomMembers.key(roomId).entries()));
    return members;
  };
}

async function sharingFrom(
  userId: string,
  joinedRoomIds: readonly string[],
  members: (roomId: string) => Promise<[string, Membership][]>,
): Promise<Set<string>> {
  const users = new Set([userId]);
  for (const list of await Promise.all(joinedRoomIds.map(members))) for (const [u, m] of list) if (m.membership === 'join') users.add(u);
  return users;
}

/** The requester and everyone joined to a room the requester is joined to. */
export async function usersSharingRooms(userId: string): Promise<Set<string>> {
  const joined = (await memberRooms.key(userId).entries()).filter(([, m]) => m.membership === 'join').map(([roomId]) => roomId);
  return sharingFrom(userId, joined, memberCache());
}

/** Whether some shard of `to` is past `from`: else no change can fall in (from, to]. */
function windowOpen(from: ShardPositions, to: ShardPositions): boolean {
  return Object.entries(to).some(([shard, position]) => position > (from[shard] ?? NOTHING));
}

/**
 * Users who stopped sharing every room with `userId` through a membership change in (from, to] of
 * the rooms stream (`to` undefined: up to now). Only rooms with an event after `from` are looked
 * into; `sharing` (who still shares a room) is only computed when some room yields a candidate.
 */
async function leftUsers(
  userId: string,
  rooms: readonly RequesterRoom[],
  sharing: () => Promise<Set<string>>,
  members: (roomId: string) => Promise<[string, Membership][]>,
  from: ShardPositions,
  to: ShardPositions | undefined,
): Promise<string[]> {
  const after = (seq: string | undefined, shard: string) => seq !== undefined && inWindow(seq, from[shard] ?? NOTHING, to?.[shard] ?? UNBOUNDED);
  const withNews = rooms.filter((r) => r.shardId && after(r.lastSeq, r.shardId) && (r.membership === 'join' || after(r.seq, r.shardId)));
  if (!withNews.length) return [];
  const candidates = new Set<string>();
  // Members who left (or were banned) in a room the requester is still joined to: whether it was
  // in the window is their own memberRooms position, read in one batch for all such rooms.
  const departed: { userId: string; roomId: string; shard: string }[] = [];
  await Promise.all(
    withNews.map(async (room) => {
      const iLeft = room.membership !== 'join';
      for (const [other, theirs] of await members(room.roomId)) {
        if (other === userId) continue;
        // The requester left: everyone still joined there is gone from view.
        if (iLeft) {
          if (theirs.membership === 'join') candidates.add(other);
        } else if (theirs.membership === 'leave' || theirs.membership === 'ban') {
          departed.push({ userId: other, roomId: room.roomId, shard: room.shardId });
        }
      }
    }),
  );
  const seqs = await getMany(departed.map((d) => memberRooms.key(d.userId).key(d.roomId).field('seq')));
  departed.forEach((d, i) => {
    if (after(seqs[i], d.shard)) candidates.add(d.userId);
  });
  if (!candidates.size) return [];
  const still = await sharing();
  return [...candidates].filter((u) => !still.has(u));
}

/** Whether a `<shard>/<position>` change falls in (from, to] of its shard. */
export function changedBetween(change: string, from: ShardPositions, to: ShardPositions): boolean {
  const slash = change.indexOf('/');
  const shard = change.slice(0, slash);
  return inWindow(change.slice(slash + 1), from[shard] ?? NOTHING, to[shard] ?? NOTHING);
}

/** The users whose master key `signer` signed in (from, to]: changed for the signer only (Synapse). */
async function signedUsers(signer: string, from: ShardPositions, to: ShardPositions): Promise<string[]> {
  const users: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await signatureChanges.key(signer).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [target, change] of page.entries) if (changedBetween(change, from, to)) users.push(target);
    cursor = page.cursor;
  } while (cursor);
  return users;
}

/**
 * `roomsFrom` / `roomsTo`: the tokens' rooms positions, for `left` (none without `roomsFrom`;
 * `roomsTo` undefined: up to now — a leave may then be listed again by the next sync, never missed).
 * `rooms`: the requester's rooms when the caller has them already (a sync's cut); else read here.
 */
export async function changedDeviceLists(
  userId: string,
  from: ShardPositions,
  to: ShardPositions,
  roomsFrom?: ShardPositions,
  roomsTo?: ShardPositions,
  rooms?: readonly RequesterRoom[],
): Promise<{ changed: string[]; left: string[] }> {
  const keysMoved = windowOpen(from, to);
  if (!keysMoved && !roomsFrom) return { changed: [], left: [] };
  const mine = rooms ?? (await requesterRooms(userId));
  const members = memberCache();
  let sharingOnce: Promise<Set<string>> | undefined;
  const sharing = () =>
    (sharingOnce ??= sharingFrom(
      userId,
      mine.filter((r) => r.membership === 'join').map((r) => r.roomId),
      members,
    ));
  const changedUsers = async (): Promise<string[]> => {
    if (!keysMoved) return [];
    const users = [...(await sharing())];
    const [positions, signed] = await Promise.all([getMany(users.map((u) => deviceListChanges.key(u))), signedUsers(userId, from, to)]);
    const changed = new Set(users.filter((_, i) => positions[i] !== undefined && changedBetween(positions[i]!, from, to)));
    for (const u of signed) changed.add(u);
    return [...changed];
  };
  const [changed, left] = await Promise.all([
    changedUsers(),
    roomsFrom ? leftUsers(userId, mine, sharing, members, roomsFrom, roomsTo) : Promise.resolve([]),
  ]);
  const gone = new Set(left);
  return { changed: changed.filter((u) => !gone.has(u)), left };
}
