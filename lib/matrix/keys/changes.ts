// Device-list changes between two sync positions, as Synapse computes them for /sync and
// /keys/changes:
// - `changed`: the users who share a room with the requester (and the requester) whose device keys
//   changed in (from, to] of the keys stream, plus the users whose master key the requester signed
//   then; and the users who newly share a room with the requester through a membership change in
//   the token's window of the rooms stream: every joined or invited member of a room the requester
//   joined then, and whoever joined or was invited then to a room the requester was already in
//   (their keys are new to the client, or changed unseen while no room was shared). A knock shares
//   nothing. Each is listed once however many rooms are shared; never the requester for a room.
// - `left`: users who shared a room with the requester and share none any more, through a
//   membership change in the window (the requester's own leave, or theirs); never also `changed`,
//   and never someone who newly shares a room (a leave and a rejoin in one window is a rejoin).
//
// Cost: a sync is mostly a long-poll woken by a message, so nothing is read when it cannot matter:
// - no co-member is read while the keys window is empty;
// - rooms are looked into only when the token's rooms position shows an event after it (roomInfo's
//   lastSeq, in the sync's cut already): a sync after which no room moved reads nothing here;
// - each room looked into is one Query of its members, read once per call whoever needs it. Who
//   moved in the window comes from their memberRooms position, newest membership event first, in
//   growing BatchGetItem chunks (1, 4, 16, …) for all rooms at once, stopping at the first change at
//   or before the token: positions order a room's changes as the stream does, so one older change
//   means none below it. When the requester's own membership predates the token, members whose
//   membership event is older than it are not read at all. A message in a room where nobody
//   joined or left since is thus 1 Query, plus 1 item when someone's membership changed after the
//   requester's own;
// - who still shares a room (one members Query per joined room) only when someone may have left;
// - when the requester's own membership moved in the window (a join, or a profile change), whether
//   it was a join: 1 Query of their membership history, plus 1 item after a profile change.
import { inPool, PER_REQUEST_CONCURRENCY } from '../../core/concurrency.ts';
import { getMany } from '../../core/pstate/index.ts';
import { memberRooms, roomInfo, roomMembers, deviceListChanges, signatureChanges } from '../pstates.ts';
import { joinedSince } from '../sync/cut.ts';
import { inWindow, NOTHING, type ShardPositions } from '../sync/token.ts';

type Membership = { membership?: string; position?: number };

/** One of the requester's rooms as a sync's cut has it (lib/matrix/sync/cut.ts `Membership` fits). */
export interface RequesterRoom {
  roomId: string;
  /** The requester's membership there. */
  membership: string;
  /** Timeline position of the requester's membership event. */
  position: number;
  /** sequencePosition of the requester's membership change. */
  seq: string;
  /** The room's lane of the rooms depot ('' when the room has no info yet). */
  lane: string;
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
    position: m.position ?? 0,
    seq: m.seq ?? NOTHING,
    lane: infos[i]?.shardId ?? '',
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
  for (const list of await inPool(joinedRoomIds, PER_REQUEST_CONCURRENCY, members)) for (const [u, m] of list) if (m.membership === 'join') users.add(u);
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

/** Memberships that make a user share the room: whoever holds one may read what is encrypted there. */
const SHARING = new Set(['join', 'invite']);
/** Memberships that end sharing the room. */
const DEPARTED = new Set(['leave', 'ban']);

/** Who may newly share a room with the requester (`arrived`) and who may share none any more (`departed`). */
interface SharingMoves {
  arrived: Set<string>;
  departed: Set<string>;
}

/** Members of one room whose membership may have changed in the window, newest first. */
interface MemberScan {
  room: RequesterRoom;
  newestFirst: [string, Membership][];
  next: number;
}

/** Members read per room in each round of a scan: growing, so the usual single read stays one item. */
const scanChunk = (round: number) => Math.min(4 ** round, 100);

/**
 * Whether the requester's join there took place after `lo`: their membership entry also moves on a
 * profile change (join → join), which must not make every member look new. Read only for a room
 * whose requester's entry moved in the window: its last membership change, and when that is an
 * older join, that join's position in the stream (strongly consistent: a stale history would hide a
 * rejoin behind the first join).
 */
/**
 * Membership changes in (from, to] of the rooms stream (`to` undefined: up to now) in the rooms
 * with an event after `from`: see the header. Rooms with no news are not read at all.
 */
async function sharingMoves(
  userId: string,
  rooms: readonly RequesterRoom[],
  members: (roomId: string) => Promise<[string, Membership][]>,
  from: ShardPositions,
  to: ShardPositions | undefined,
): Promise<SharingMoves> {
  const moves: SharingMoves = { arrived: new Set(), departed: new Set() };
  const lo = (shard: string) => from[shard] ?? NOTHING;
  const hi = (shard: string) => to?.[shard] ?? UNBOUNDED;
  const after = (seq: string, shard: string) => inWindow(seq, lo(shard), hi(shard));
  // A room has news when its newest record is past `from` (even past `to`: a change in the window
  // may have later events on top of it).
  const withNews = rooms.filter((r) => r.lane && r.lastSeq > lo(r.lane) && (r.membership === 'join' || after(r.seq, r.lane)));
  if (!withNews.length) return moves;
  const scans: MemberScan[] = [];
  await inPool(withNews, PER_REQUEST_CONCURRENCY, async (room) => {
    const others = (await members(room.roomId)).filter(([u]) => u !== userId);
    if (room.membership !== 'join') {
      // The requester left: everyone still joined there is gone from view.
      for (const [other, theirs] of others) if (theirs.membership === 'join') moves.departed.add(other);
      return;
    }
    // The requester joined in the window: everyone there is new to them.
    if (after(room.seq, room.lane) && (await joinedSince(userId, room, lo(room.lane)))) {
      for (const [other, theirs] of others) if (SHARING.has(theirs.membership ?? '')) moves.arrived.add(other);
    }
    // A change in the window is newer than the requester's own membership when that predates it.
    const floor = room.seq <= lo(room.lane) ? room.position : 0;
    const newestFirst = others.filter(([, m]) => (m.position ?? 0) > floor).sort(([, a], [, b]) => (b.position ?? 0) - (a.position ?? 0));
    if (newestFirst.length) scans.push({ room, newestFirst, next: 0 });
  });
  for (let round = 0, active = scans; active.length; round++) {
    const reads = active.flatMap((scan) => {
      const chunk = scan.newestFirst.slice(scan.next, scan.next + scanChunk(round));
      scan.next += chunk.length;
      return chunk.map(([other, theirs]) => ({ scan, other, theirs }));
    });
    const items = await getMany(reads.map((r) => memberRooms.key(r.other).key(r.scan.room.roomId)));
    const stopped = new Set<MemberScan>();
    reads.forEach(({ scan, other, theirs }, i) => {
      if (stopped.has(scan)) return;
      const item = items[i];
      const shard = scan.room.lane;
      let membership = theirs.membership ?? '';
      if (item?.position !== theirs.position || item?.seq === undefined) {
        // The two reads caught a membership write half-way (eventual reads): count the newer
        // change, look further down.
        if ((item?.position ?? 0) > (theirs.position ?? 0)) membership = item?.membership ?? membership;
      } else if (item.seq <= lo(shard)) {
        // Changed at or before the token: so did everyone below.
        stopped.add(scan);
        return;
      } else if (!after(item.seq, shard)) {
        return;
      }
      if (SHARING.has(membership)) moves.arrived.add(other);
      else if (DEPARTED.has(membership)) moves.departed.add(other);
    });
    active = active.filter((scan) => !stopped.has(scan) && scan.next < scan.newestFirst.length);
  }
  return moves;
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
 * `roomsFrom` / `roomsTo`: the tokens' rooms positions, for who newly shares a room and `left`
 * (neither without `roomsFrom`; `roomsTo` undefined: up to now — a change may then be listed again
 * by the next sync, never missed).
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
  const keysChanged = async (): Promise<string[]> => {
    if (!keysMoved) return [];
    const users = [...(await sharing())];
    const [positions, signed] = await Promise.all([getMany(users.map((u) => deviceListChanges.key(u))), signedUsers(userId, from, to)]);
    return [...users.filter((_, i) => positions[i] !== undefined && changedBetween(positions[i]!, from, to)), ...signed];
  };
  const leftUsers = async (moves: SharingMoves): Promise<string[]> => {
    const candidates = [...moves.departed].filter((u) => !moves.arrived.has(u));
    if (!candidates.length) return [];
    const still = await sharing();
    return candidates.filter((u) => !still.has(u));
  };
  const [keyChanges, moves] = await Promise.all([
    keysChanged(),
    roomsFrom ? sharingMoves(userId, mine, members, roomsFrom, roomsTo) : Promise.resolve({ arrived: new Set<string>(), departed: new Set<string>() }),
  ]);
  const left = await leftUsers(moves);
  const gone = new Set(left);
  const changed = new Set([...keyChanges, ...moves.arrived]);
  return { changed: [...changed].filter((u) => !gone.has(u)), left };
}
