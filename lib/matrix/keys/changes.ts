// Device-list changes between two sync positions: the users who share a room with the requester
// (and the requester) whose device keys changed in (from, to] of the keys stream, plus the users
// whose master key the requester signed then. Each change is a single per-user position, so a user
// shows up once per window however many rooms are shared. `left`: users who shared a room with the
// requester and share none any more, through a membership change after the token's rooms position
// (the requester's own leave, or theirs), as Synapse computes it; they are not also `changed`.
import { getMany } from '../../core/pstate/index.ts';
import { memberRooms, roomInfo, roomMembers, deviceListChanges, signatureChanges } from '../pstates.ts';
import { inWindow, NOTHING, type ShardPositions } from '../sync/token.ts';

type Membership = { membership?: string; seq?: string };

/** Above every sequencePosition (digits only). */
const UNBOUNDED = '\uffff';

async function membershipsOf(userId: string): Promise<[string, Membership][]> {
  const rooms: [string, Membership][] = [];
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    rooms.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return rooms;
}

async function joinedRooms(userId: string): Promise<string[]> {
  return (await membershipsOf(userId)).filter(([, m]) => m.membership === 'join').map(([roomId]) => roomId);
}

async function membersOf(roomId: string): Promise<[string, Membership][]> {
  const members: [string, Membership][] = [];
  let cursor: string | undefined;
  do {
    const page = await roomMembers.key(roomId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    members.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return members;
}

async function joinedMembers(roomId: string): Promise<string[]> {
  return (await membersOf(roomId)).filter(([, m]) => m.membership === 'join').map(([userId]) => userId);
}

/** The requester and everyone joined to a room the requester is joined to. */
export async function usersSharingRooms(userId: string): Promise<Set<string>> {
  const users = new Set([userId]);
  for (const members of await Promise.all((await joinedRooms(userId)).map(joinedMembers))) for (const m of members) users.add(m);
  return users;
}

/**
 * Users who stopped sharing every room with `userId` through a membership change in (from, to] of
 * the rooms stream (`to` undefined: up to now). Only rooms with an event after `from` are looked
 * into (one batched roomInfo read for all of the user's rooms).
 */
async function leftUsers(userId: string, sharing: Set<string>, from: ShardPositions, to: ShardPositions | undefined): Promise<string[]> {
  const rooms = await membershipsOf(userId);
  const infos = await getMany(rooms.map(([roomId]) => roomInfo.key(roomId)));
  const left = new Set<string>();
  const after = (seq: string | undefined, shard: string) => seq !== undefined && inWindow(seq, from[shard] ?? NOTHING, to?.[shard] ?? UNBOUNDED);
  await Promise.all(
    rooms.map(async ([roomId, mine], i) => {
      const info = infos[i];
      if (!info?.shardId || !after(info.lastSeq, info.shardId)) return;
      const shard = info.shardId;
      const iLeft = mine.membership !== 'join';
      if (iLeft && !after(mine.seq, shard)) return;
      const members = await membersOf(roomId);
      await Promise.all(
        members.map(async ([other, theirs]) => {
          if (other === userId || sharing.has(other)) return;
          // The requester left: everyone still joined there is gone from view.
          if (iLeft) {
            if (theirs.membership === 'join') left.add(other);
            return;
          }
          // Else: whoever left (or was banned) here since.
          if (theirs.membership !== 'leave' && theirs.membership !== 'ban') return;
          if (after(await memberRooms.key(other).key(roomId).field('seq').get(), shard)) left.add(other);
        }),
      );
    }),
  );
  return [...left];
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
 */
export async function changedDeviceLists(
  userId: string,
  from: ShardPositions,
  to: ShardPositions,
  roomsFrom?: ShardPositions,
  roomsTo?: ShardPositions,
): Promise<{ changed: string[]; left: string[] }> {
  const sharing = await usersSharingRooms(userId);
  const users = [...sharing];
  const [positions, signed, left] = await Promise.all([
    Promise.all(users.map((u) => deviceListChanges.key(u).get())),
    signedUsers(userId, from, to),
    roomsFrom ? leftUsers(userId, sharing, roomsFrom, roomsTo) : Promise.resolve([]),
  ]);
  const changed = new Set(users.filter((_, i) => positions[i] !== undefined && changedBetween(positions[i]!, from, to)));
  for (const u of signed) changed.add(u);
  for (const u of left) changed.delete(u);
  return { changed: [...changed], left };
}
