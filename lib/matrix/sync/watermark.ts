// Per-shard watermarks: the cut a sync reads first. A topology includes `syncWatermarkWrite` in the
// writes of EVERY record it applies (the same applyOnce transaction), and applies a shard's records
// one at a time, in order; so whatever a consistent read of the watermark finds, every write of
// every record at or below it is committed. Reading rooms one by one can then never miss an event
// committed in room A after A was read but below the watermark: the sync only delivers entries at
// or below the watermarks it read first, and the next token starts exactly there.
import type { WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { syncWatermarks } from '../pstates.ts';
import type { ShardPositions } from './token.ts';

/** The streams whose positions a sync token carries. */
export type WatermarkStream = 'rooms' | 'userData' | 'keys';

/**
 * The watermark write of one applied record. A plain set (no condition): the topology is
 * sequential per shard and a redelivered record cannot commit again (applyOnce), so the stored
 * position only grows.
 */
export function syncWatermarkWrite(stream: WatermarkStream, record: Pick<DepotRecord, 'shardId' | 'sequenceNumber'>): WriteOp {
  return syncWatermarks.key(stream).key(record.shardId).set(sequencePosition(record.sequenceNumber));
}

/** Every shard's watermark of a stream: one strongly consistent Query (a page per 100 shards). */
export async function readWatermarks(stream: WatermarkStream): Promise<ShardPositions> {
  return Object.fromEntries(await syncWatermarks.key(stream).entries({ consistent: true }));
}
