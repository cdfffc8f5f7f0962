// A /sync token where a room's pagination token is expected: the spec lets /messages take a
// /sync `prev_batch` or `next_batch` as `from` (matrix-nio's room_messages(start=next_batch),
// lazy-loaded history from a sync position), and Synapse answers it. A sync token names a cut of
// the rooms depot's lanes; in one room it stands for the point after the newest event its lane had
// delivered up to the cut. A room's timeline positions carry non-decreasing depot positions
// (`seq`), so a binary search over positions finds that point in O(log n) reads.
import { invalidParam } from '../errors.ts';
import { roomInfo } from '../pstates.ts';
import { seqAt } from '../sync/state-delta.ts';
import { decodeSyncToken, inLanes, NOTHING } from '../sync/token.ts';
import { tryDecodePositionToken } from '../tokens.ts';

const SYNC_TOKEN_PREFIX = 's1_';

/** Whether a token is a pagination token or a sync token (400 M_INVALID_PARAM otherwise, before any read). */
export function checkRoomToken(token: string, param: string): void {
  if (tryDecodePositionToken(token) !== undefined) return;
  syncCut(token, param);
}

/** Whether a token is one checkRoomToken accepts. */
export function isRoomToken(token: string): boolean {
  try {
    checkRoomToken(token, 'token');
    return true;
  } catch {
    return false;
  }
}

function syncCut(token: string, param: string) {
  const invalid = () => invalidParam(`${param} is not a valid pagination token`);
  if (!token.startsWith(SYNC_TOKEN_PREFIX)) throw invalid();
  try {
    return decodeSyncToken(token);
  } catch {
    throw invalid();
  }
}

/** The room position a pagination or sync token names (`lastPosition`: the room's newest event). */
export async function roomTokenPosition(roomId: string, token: string, param: string, lastPosition: number): Promise<number> {
  const position = tryDecodePositionToken(token);
  if (position !== undefined) return position;
  const cut = syncCut(token, param);
  const lane = (await roomInfo.key(roomId).field('shardId').get()) ?? '';
  const upTo = inLanes(cut.rooms, { [lane]: NOTHING })[lane] ?? NOTHING;
  if (upTo === NOTHING || lastPosition === 0) return 0;
  if ((await seqAt(roomId, lastPosition)) <= upTo) return lastPosition;
  // The last position whose seq is within the cut (0: none).
  let low = 0;
  let high = lastPosition - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((await seqAt(roomId, mid)) <= upTo) low = mid;
    else high = mid - 1;
  }
  return low;
}
