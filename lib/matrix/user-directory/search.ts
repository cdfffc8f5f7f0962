// User directory search (POST /user_directory/search). Who can be found: users who share a room
// with the searcher (joined now) and users joined to rooms published in the public room directory.
// No global index: the candidate set is derived at query time from memberRooms (the searcher's
// rooms) and roomMembers (each room's members), bounded so a search never scans every user:
// at most MAX_ROOMS_SCANNED rooms of each kind and MAX_MEMBERS_PER_ROOM members per room, i.e. at
// most 2·MAX_ROOMS_SCANNED small Query pages of ≤ 500 members plus one BatchGet for profiles.
// A busy searcher with more rooms than that sees matches only from the rooms read first (room-id
// order); this is the documented cost/recall trade-off of this first slice.
// Matching: case-insensitive substring of the user id or the display name.
import { getMany } from '../../core/pstate/index.ts';
import { inPool, PER_REQUEST_CONCURRENCY } from '../../core/concurrency.ts';
import { DIRECTORY_KEY } from '../directory/apply.ts';
import { memberRooms, publicRooms, roomMembers, users } from '../pstates.ts';
import { readYourWrites } from '../timeline/consistency.ts';

export const MAX_ROOMS_SCANNED = 100;
export const MAX_MEMBERS_PER_ROOM = 1000;
export const DEFAULT_USER_SEARCH_LIMIT = 10;
export const MAX_USER_SEARCH_LIMIT = 100;

export interface UserDirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export interface UserDirectoryPage {
  results: UserDirectoryResult[];
  limited: boolean;
}

async function searcherRooms(userId: string): Promise<string[]> {
  const rooms: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await memberRooms.key(userId).range({ limit: 500, ...readYourWrites, ...(cursor ? { cursor } : {}) });
    for (const [roomId, room] of page.entries) if (room.membership === 'join' && rooms.length < MAX_ROOMS_SCANNED) rooms.push(roomId);
    cursor = rooms.length < MAX_ROOMS_SCANNED ? page.cursor : undefined;
  } while (cursor);
  return rooms;
}

async function publishedRooms(): Promise<string[]> {
  const page = await publicRooms.key(DIRECTORY_KEY).range({ limit: MAX_ROOMS_SCANNED });
  return page.entries.map(([roomId]) => roomId);
}

async function joinedMembersOf(roomId: string): Promise<string[]> {
  const members: string[] = [];
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await roomMembers.key(roomId).range({ limit: 500, ...(cursor ? { cursor } : {}) });
    read += page.entries.length;
    for (const [userId, member] of page.entries) if (member.membership === 'join') members.push(userId);
    cursor = read < MAX_MEMBERS_PER_ROOM ? page.cursor : undefined;
  } while (cursor);
  return members;
}

/** Users the searcher may find, matched against the term; at most `limit`, `limited` if more matched. */
export async function searchUserDirectory(searcher: string, searchTerm: string, limit: number): Promise<UserDirectoryPage> {
  const [own, published] = await Promise.all([searcherRooms(searcher), publishedRooms()]);
  const rooms = [...new Set([...own, ...published])];
  const memberLists = await inPool(rooms, PER_REQUEST_CONCURRENCY, joinedMembersOf);
  const candidates = [...new Set(memberLists.flat())].sort();
  const term = searchTerm.toLowerCase();
  const profiles = await getMany(candidates.map((userId) => users.key(userId)));
  const matches: UserDirectoryResult[] = [];
  candidates.forEach((userId, i) => {
    const profile = profiles[i] as { displayname?: string; avatarUrl?: string; deactivated?: boolean } | undefined;
    if (!profile || profile.deactivated) return;
    const displayName = profile.displayname || undefined;
    if (!userId.toLowerCase().includes(term) && !(displayName?.toLowerCase().includes(term) ?? false)) return;
    matches.push({ user_id: userId, ...(displayName ? { display_name: displayName } : {}), ...(profile.avatarUrl ? { avatar_url: profile.avatarUrl } : {}) });
  });
  return { results: matches.slice(0, limit), limited: matches.length > limit };
}
