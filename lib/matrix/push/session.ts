// Opening and closing a WebSocket connection: what $connect and $disconnect do.
import { authenticate } from '../accounts/authenticate.ts';
import { roomTimeline } from '../pstates.ts';
import { readRoomsCut, type Membership } from '../sync/cut.ts';
import { decodeSyncToken, encodeSyncToken, NOTHING, type ShardPositions, type SyncPosition } from '../sync/token.ts';
import { resolveSyncFilter } from '../sync/filter.ts';
import { readAllWatermarks, sinceInLanes } from '../sync/watermark.ts';
import { unknownToken } from '../errors.ts';
import { recordConnection, removeConnection, rerecordConnection, type Connection } from './connections.ts';
import { PENDING_FLOOR } from './cursor.ts';
import { markConnectedOnline } from './online.ts';
import { tokenStillValid } from './revoked.ts';

export interface ConnectRequest {
  connectionId: string;
  accessToken?: string;
  /** A sync token the client already has everything up to (its last frame's next_batch). */
  since?: string;
  /** A sync filter (an uploaded filter's id or inline JSON, as /sync's `filter`) for every frame. */
  filter?: string;
  now?: number;
}

/** sequencePosition of the room's newest record at or below `limit` (the room's lastSeq is usually it). */
async function newestSeqAtOrBelow(m: Membership, limit: string): Promise<string> {
  if (m.lastSeq <= limit) return m.lastSeq;
  let cursor: string | undefined;
  do {
    const page = await roomTimeline.key(m.roomId).range({ reverse: true, consistent: true, limit: 25, ...(cursor ? { cursor } : {}) });
    for (const [, entry] of page.entries) if (entry.seq <= limit) return entry.seq;
    cursor = page.cursor;
  } while (cursor);
  return NOTHING;
}

/**
 * The connection's floor: per lane, the position from which every event for the user is pushed
 * to it. Above the watermarks read after registering, everything is. Between the client's `since`
 * and those watermarks, the user may have missed something only when one of their rooms in that
 * lane changed there (a membership of theirs, or an event in a joined room); where none did, the
 * floor is `since` itself, so frames move that lane on at once.
 */
async function floorOf(since: SyncPosition | undefined, watermarks: ShardPositions, memberships: readonly Membership[]): Promise<ShardPositions> {
  if (!since) return watermarks;
  const missed = new Set<string>();
  const inGap = (lane: string, seq: string) => seq > (since.rooms[lane] ?? NOTHING) && seq <= (watermarks[lane] ?? NOTHING);
  await Promise.all(
    memberships.map(async (m) => {
      if (!m.lane || m.forgotten) return;
      if (inGap(m.lane, m.seq)) missed.add(m.lane);
      else if (m.membership === 'join' && inGap(m.lane, await newestSeqAtOrBelow(m, watermarks[m.lane] ?? NOTHING))) missed.add(m.lane);
    }),
  );
  const floor: Record<string, string> = {};
  for (const [lane, watermark] of Object.entries(watermarks)) {
    const from = missed.has(lane) ? watermark : (since.rooms[lane] ?? NOTHING);
    if (from !== NOTHING) floor[lane] = from < watermark ? from : watermark;
  }
  return floor;
}

/**
 * Register a connection: authenticate (MatrixError 401 refuses the handshake), validate `since`
 * and `filter` (400), then, in this order: record it as pending (pushes skip it), register the user as online
 * in their rooms, read the watermarks (and the user's rooms at them), and set floor and cursor.
 * Every event committed after that watermark read finds both the connection and the online
 * registration, so it is pushed.
 *
 * A logout racing the handshake: the connection is recorded with its token's hash before the
 * token is checked again, and a revocation removes the token before it sweeps the user's
 * connections (push/revoked.ts). So either the sweep finds this record and removes it (then the
 * final rewrite, conditional on the record, fails), or the record came after the sweep, hence
 * after the token's removal, and the second check sees it gone. Either way the handshake is
 * refused with 401 and no connection outlives its token.
 */
export async function openConnection(request: ConnectRequest): Promise<Connection> {
  const requester = await authenticate({ ...(request.accessToken !== undefined ? { accessToken: request.accessToken } : {}) });
  const since = request.since !== undefined ? decodeSyncToken(request.since) : undefined;
  const filter = request.filter !== undefined && request.filter !== '' ? await resolveSyncFilter(requester.userId, request.filter) : undefined;
  const now = request.now ?? Date.now();
  const pending: Connection = {
    connectionId: request.connectionId,
    userId: requester.userId,
    deviceId: requester.deviceId,
    connectedAt: now,
    cursor: request.since ?? encodeSyncToken({ rooms: {}, accountData: {} }),
    floor: PENDING_FLOOR,
    ...(filter ? { filter } : {}),
    tokenHash: requester.tokenHash,
  };
  await recordConnection(pending);
  if (!(await tokenStillValid(requester.userId, requester.tokenHash))) {
    await removeConnection(pending.connectionId, pending.userId);
    throw unknownToken();
  }
  await markConnectedOnline(requester.userId, now);
  const watermarks = await readAllWatermarks();
  const [cut, accountData] = [await readRoomsCut(requester.userId, watermarks.rooms), watermarks.userData];
  const inLanes = since && sinceInLanes(since, watermarks);
  const floor = encodeSyncToken({ rooms: await floorOf(inLanes, cut.watermarks, cut.memberships), accountData });
  const connection = { ...pending, floor, cursor: inLanes ? encodeSyncToken(inLanes) : encodeSyncToken({ rooms: cut.watermarks, accountData }) };
  if (!(await rerecordConnection(connection))) {
    await removeConnection(pending.connectionId, pending.userId);
    throw unknownToken();
  }
  return connection;
}

export async function closeConnectionRecords(connectionId: string): Promise<void> {
  await removeConnection(connectionId);
}
