// Listing the published room directory (GET/POST /publicRooms): rooms in room-id order (a stable
// order, which the spec allows since v1.19), a page of chunks at a time, optionally filtered by a
// search term and room types. Tokens are opaque: the direction and the room id to continue from.
import { getMany } from '../../core/pstate/index.ts';
import { invalidParam } from '../errors.ts';
import type { RoomEvent } from '../events.ts';
import { matchesSearchTerm, PUBLIC_ROOM_STATE_TYPES, publicRoomsChunk, type PublicRoomsChunk } from '../public-rooms.ts';
import { publicRooms, roomInfo, roomState } from '../pstates.ts';
import { MapRoomState, stateKeyOf } from '../room-state.ts';
import { DIRECTORY_KEY } from './apply.ts';

export const DEFAULT_PUBLIC_ROOMS_LIMIT = 100;
export const MAX_PUBLIC_ROOMS_LIMIT = 500;
/**
 * Rooms one request looks at, whatever its filter: a search term that matches nothing would
 * otherwise read the whole directory (five items a room). The page then ends early, perhaps
 * empty, with a token to go on from (the spec lets a page hold fewer rooms than the limit).
 */
export const MAX_PUBLIC_ROOMS_SCANNED = 1000;


interface Token {
  /** `f`: rooms after `k`; `b`: rooms before `k`. */
  d: 'f' | 'b';
  k: string;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(since: string): Token {
  try {
    const t = JSON.parse(Buffer.from(since, 'base64url').toString('utf8')) as Partial<Token>;
    if ((t.d === 'f' || t.d === 'b') && typeof t.k === 'string') return { d: t.d, k: t.k };
  } catch {
    // fall through
  }
  throw invalidParam('Invalid since token');
}

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  searchTerm?: string;
  /** Room types to include; `null` stands for rooms without a type. Absent: all. */
  roomTypes?: (string | null)[];
  /** Rooms to look at at most (MAX_PUBLIC_ROOMS_SCANNED). */
  scanBudget?: number;
}

export interface PublicRoomsPage {
  chunk: PublicRoomsChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

/** The directory chunks of these rooms (rooms that no longer exist are left out). */
export async function publicRoomsChunks(roomIds: readonly string[]): Promise<PublicRoomsChunk[]> {
  const perRoom = PUBLIC_ROOM_STATE_TYPES.length + 1;
  const paths = roomIds.flatMap((roomId) => [roomInfo.key(roomId), ...PUBLIC_ROOM_STATE_TYPES.map((t) => roomState.key(roomId).key(stateKeyOf(t, '')))]);
  const values = await getMany(paths);
  const out: PublicRoomsChunk[] = [];
  roomIds.forEach((roomId, i) => {
    const [info, ...events] = values.slice(i * perRoom, (i + 1) * perRoom);
    if (!info || typeof info !== 'object' || !('version' in info)) return;
    const state = new MapRoomState<RoomEvent>();
    for (const event of events) if (event) state.set(event as RoomEvent);
    out.push(publicRoomsChunk(roomId, state, (info as { joinedCount?: number }).joinedCount ?? 0));
  });
  return out;
}

function matches(chunk: PublicRoomsChunk, query: PublicRoomsQuery): boolean {
  if (!matchesSearchTerm(chunk, query.searchTerm)) return false;
  if (query.roomTypes && !query.roomTypes.includes(chunk.room_type ?? null)) return false;
  return true;
}

export async function listPublicRooms(query: PublicRoomsQuery): Promise<PublicRoomsPage> {
  const limit = Math.min(query.limit ?? DEFAULT_PUBLIC_ROOMS_LIMIT, MAX_PUBLIC_ROOMS_LIMIT);
  if (!Number.isInteger(limit) || limit < 0) throw invalidParam('limit must be a non-negative integer');
  const token = query.since !== undefined ? decodeToken(query.since) : undefined;
  const backwards = token?.d === 'b';
  const directory = publicRooms.key(DIRECTORY_KEY);
  const total = await directory.count();

  const found: PublicRoomsChunk[] = [];
  let more = false;
  let cursor: string | undefined;
  const scanBudget = query.scanBudget ?? MAX_PUBLIC_ROOMS_SCANNED;
  let examined = 0;
  let lastExamined: string | undefined;
  let outOfBudget = false;
  const bound = token
    ? backwards
      ? { to: token.k, reverse: true }
      : { from: token.k, fromInclusive: false }
    : {};
  while (found.length < limit) {
    if (examined >= scanBudget) {
      // Rooms are left (a cursor led here): the next request goes on after the last one looked at.
      more = outOfBudget = true;
      break;
    }
    const pageSize = Math.min(Math.max(limit - found.length, 10), scanBudget - examined);
    const page = await directory.range({ ...bound, limit: pageSize, ...(cursor ? { cursor } : {}) });
    const ids = page.entries.map(([roomId]) => roomId);
    const chunks = (await publicRoomsChunks(ids)).filter((c) => matches(c, query));
    const room = new Map(chunks.map((c) => [c.room_id, c]));
    for (const [i, roomId] of ids.entries()) {
      const chunk = room.get(roomId);
      if (chunk && found.length === limit) {
        more = true;
        break;
      }
      examined += 1;
      lastExamined = roomId;
      if (!chunk) continue;
      found.push(chunk);
      if (found.length === limit && (i < ids.length - 1 || page.cursor)) more = true;
    }
    cursor = page.cursor;
    if (!cursor || more) break;
  }
  if (limit === 0) more = total > 0;
  if (backwards) found.reverse();

  const first = found[0]?.room_id;
  const last = found[found.length - 1]?.room_id;
  // Where the scan stopped: after the last room found, or after the last looked at when the budget ran out.
  const stoppedAt = outOfBudget ? lastExamined : backwards ? first : last;
  const result: PublicRoomsPage = { chunk: found, total_room_count_estimate: total };
  if (backwards) {
    if (more && stoppedAt) result.prev_batch = encodeToken({ d: 'b', k: stoppedAt });
    if (last) result.next_batch = encodeToken({ d: 'f', k: last });
  } else {
    if (more && stoppedAt) result.next_batch = encodeToken({ d: 'f', k: stoppedAt });
    if (token && first) result.prev_batch = encodeToken({ d: 'b', k: first });
  }
  return result;
}
