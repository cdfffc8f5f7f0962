// Device-list changes between two sync positions: the users who share a room with the requester
// (and the requester) whose device keys changed in (from, to] of the keys stream. Each change is a
// single per-user position, so a user shows up once per window however many rooms are shared.
import { memberRooms, roomMembers, deviceListChanges, signatureChanges } from '../pstates.ts';
import { inWindow, NOTHING, type ShardPositions } from '../sync/token.ts';

async function joinedRooms(userId: string): Promise<string[]> {
  const rooms: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [roomId, m] of page.entries) if (m.membership === 'join') rooms.push(roomId);
    cursor = page.cursor;
  } while (cursor);
  return rooms;
}

async function joinedMembers(roomId: string): Promise<string[]> {
  const members: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await roomMembers.key(roomId).range({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const [userId, m] of page.entries) if (m.membership === 'join') members.push(userId);
    cursor = page.cursor;
  } while (cursor);
  return members;
}

/** The requester and everyone joined to a room the requester is joined to. */
export async function usersSharingRooms(userId: string): Promise<Set<string>> {
  const users = new Set([userId]);
  for (const members of await Promise.all((await joinedRooms(userId)).map(joinedMembers))) for (const m of members) users.add(m);
  return users;
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

export async function changedDeviceLists(userId: string, from: ShardPositions, to: ShardPositions): Promise<{ changed: string[]; left: string[] }> {
  const users = [...(await usersSharingRooms(userId))];
  const [positions, signed] = await Promise.all([Promise.all(users.map((u) => deviceListChanges.key(u).get())), signedUsers(userId, from, to)]);
  const changed = new Set(users.filter((_, i) => positions[i] !== undefined && changedBetween(positions[i]!, from, to)));
  for (const u of signed) changed.add(u);
  // Users who stopped sharing a room are not tracked yet (membership positions per co-member).
  return { changed: [...changed], left: [] };
}
