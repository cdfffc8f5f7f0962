// Per-shard watermarks: the cut a sync reads first. A topology writes a stream's shard watermark
// once a record's writes are committed (`syncWatermarkWrite`, in the record's own transaction or
// right after it) and applies a shard's records one at a time, in order; so whatever a consistent
// read of the watermark finds, every write of every record at or below it is committed. Reading
// rooms one by one can then never miss an event committed in room A after A was read but below
// the watermark: the sync only delivers entries at or below the watermarks it read first, and the
// next token starts exactly there.
//
// Every stream's shards live in one partition, so a sync pass reads all of them with ONE strongly
// consistent Query and hands each part to its reader (rooms cut, account data, keys, ephemeral).
// Reading a stream's watermarks earlier than its reader would have is always safe: an earlier
// watermark only delivers less now, and the next token starts exactly there.
import type { WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { syncWatermarks } from '../pstates.ts';
import type { ShardPositions } from './token.ts';

/** The streams whose positions a sync token carries. */
export type WatermarkStream = 'rooms' | 'userData' | 'keys' | 'ephemeral' | 'presence';

/** Each stream's shard positions, as one read found them. */
export type Watermarks = Record<WatermarkStream, ShardPositions>;

const STREAMS: readonly WatermarkStream[] = ['rooms', 'userData', 'keys', 'ephemeral', 'presence'];

/** The one partition key all watermarks share. */
const ALL_SHARDS = 'shards';

const shardKey = (stream: WatermarkStream, shardId: string) => `${stream}/${shardId}`;

/** The write that moves `stream`'s watermark on `shardId` to `position` (a sequencePosition). */
export function watermarkWrite(stream: WatermarkStream, shardId: string, position: string): WriteOp {
  return syncWatermarks.key(ALL_SHARDS).key(shardKey(stream, shardId)).set(position);
}

/**
 * The watermark write of one applied record. A plain set (no condition): the topology is
 * sequential per shard and a redelivered record cannot commit again (applyOnce), so the stored
 * position only grows.
 */
export function syncWatermarkWrite(stream: WatermarkStream, record: Pick<DepotRecord, 'shardId' | 'sequenceNumber'>): WriteOp {
  return watermarkWrite(stream, record.shardId, sequencePosition(record.sequenceNumber));
}

/** Every stream's shard watermarks: one strongly consistent Query (a page per ~100 shards). */
export async function readAllWatermarks(): Promise<Watermarks> {
  const out = Object.fromEntries(STREAMS.map((s) => [s, {} as Record<string, string>])) as Record<WatermarkStream, Record<string, string>>;
  for (const [key, position] of await syncWatermarks.key(ALL_SHARDS).entries({ consistent: true })) {
    const slash = key.indexOf('/');
    const stream = key.slice(0, slash) as WatermarkStream;
    if (slash > 0 && stream in out) out[stream][key.slice(slash + 1)] = position;
  }
  return out;
}
