// Per-lane watermarks: the cut a sync reads first. A stream topology writes a stream's lane
// watermark once a record's writes are committed (`syncWatermarkWrite`, in the record's own
// transaction or right after it) and applies a lane's records one at a time, in order (lanes in
// parallel: lib/core/partitions.ts); so whatever a consistent read of a lane's watermark finds,
// every write of every record of that lane at or below it is committed. Positions are only ever
// compared within a lane, and a room (a user) is always in the same lane. Reading rooms one by one
// can then never miss an event committed in room A after A was read but below its lane's
// watermark: the sync only delivers entries at or below the watermarks it read first, and the next
// token starts exactly there. (The microbatch streams, ephemeral and presence, keep one watermark
// per shard: a microbatch topology applies a shard's batches one at a time.)
//
// Every stream's lanes live in one partition, so a sync pass reads all of them with ONE strongly
// consistent Query and hands each part to its reader (rooms cut, account data, keys, ephemeral).
// Reading a stream's watermarks earlier than its reader would have is always safe: an earlier
// watermark only delivers less now, and the next token starts exactly there.
import type { WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { syncWatermarks } from '../pstates.ts';
import { inLanes, type ShardPositions, type SyncPosition } from './token.ts';

/** The streams whose positions a sync token carries. */
export type WatermarkStream = 'rooms' | 'userData' | 'keys' | 'ephemeral' | 'presence';

/** Each stream's lane (shard) positions, as one read found them. */
export type Watermarks = Record<WatermarkStream, ShardPositions>;

const STREAMS: readonly WatermarkStream[] = ['rooms', 'userData', 'keys', 'ephemeral', 'presence'];

/** The one partition key all watermarks share. */
const ALL_SHARDS = 'shards';

const laneKey = (stream: WatermarkStream, lane: string) => `${stream}/${lane}`;

/** The write that moves `stream`'s watermark on `lane` (a lane or, microbatch streams, a shard) to `position` (a sequencePosition). */
export function watermarkWrite(stream: WatermarkStream, lane: string, position: string): WriteOp {
  return syncWatermarks.key(ALL_SHARDS).key(laneKey(stream, lane)).set(position);
}

/**
 * The watermark write of one applied record. A plain set (no condition): the topology applies a
 * lane's records one at a time and each record's writes commit once (applyOnce). A redelivered
 * record may set it back to its own position until the lane's later records pass again, which
 * only delays what a sync delivers: every record at or below a lower position is applied too.
 */
export function syncWatermarkWrite(stream: WatermarkStream, record: Pick<DepotRecord, 'lane' | 'sequenceNumber'>): WriteOp {
  return watermarkWrite(stream, record.lane, sequencePosition(record.sequenceNumber));
}

/** Every stream's watermarks: one strongly consistent Query (a page per ~100 lanes). */
export async function readAllWatermarks(): Promise<Watermarks> {
  const out = Object.fromEntries(STREAMS.map((s) => [s, {} as Record<string, string>])) as Record<WatermarkStream, Record<string, string>>;
  for (const [key, position] of await syncWatermarks.key(ALL_SHARDS).entries({ consistent: true })) {
    const slash = key.indexOf('/');
    const stream = key.slice(0, slash) as WatermarkStream;
    if (slash > 0 && stream in out) out[stream][key.slice(slash + 1)] = position;
  }
  return out;
}

/** A `since` read in the lanes of these watermarks (a token from before depot partitions names shards: token.ts inLanes). */
export function sinceInLanes(since: SyncPosition, watermarks: Watermarks): SyncPosition {
  return {
    ...since,
    rooms: inLanes(since.rooms, watermarks.rooms),
    accountData: inLanes(since.accountData, watermarks.userData),
    ...(since.keys ? { keys: inLanes(since.keys, watermarks.keys) } : {}),
  };
}
