// What /sync adds for end-to-end encryption: the device lists changed in the token's window of the
// keys stream (token field `k`) and the to-device messages, with every pass (lib/matrix/sync/assemble.ts);
// the device's one-time key counts and unused fallback key types once per response, just before it
// is answered (lib/matrix/sync/long-poll.ts): they are never news, so the passes a long-poll
// finds empty need not read them, and the answer has them as they are then.
import { NOTHING, type ShardPositions } from '../sync/token.ts';
import { readAllWatermarks } from '../sync/watermark.ts';
import { changedDeviceLists, type RequesterRoom } from './changes.ts';
import { appendCommands } from '../commands.ts';
import type { KeysCommand } from './commands.ts';
import { oneTimeKeyCounts, unusedFallbackKeyTypes } from './counts.ts';
import { inboxForSync } from './to-device.ts';

export interface KeysSyncSection {
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
  device_lists: { changed: string[]; left: string[] };
  to_device: { events: { sender: string; type: string; content: Record<string, unknown> }[] };
}

/** The fields every pass fills; the counts come with the answer (`keyCountsForSync`). */
export type KeysPassSection = Omit<KeysSyncSection, KeyCountFields>;
type KeyCountFields = 'device_one_time_keys_count' | 'device_unused_fallback_key_types';

export interface KeysSyncPass {
  section: KeysPassSection;
  /** The keys stream's positions for the next token. */
  next: ShardPositions;
  /** The to-device inbox position for the next token. */
  nextToDevice: string | undefined;
  /** Whether there is news a long-poll should return for. */
  news: boolean;
}

/** The device's key counts now, for the response about to be sent. */
export async function keyCountsForSync(userId: string, deviceId: string): Promise<Pick<KeysSyncSection, KeyCountFields>> {
  const [counts, fallbackTypes] = await Promise.all([oneTimeKeyCounts(userId, deviceId), unusedFallbackKeyTypes(userId, deviceId)]);
  return { device_one_time_keys_count: counts, device_unused_fallback_key_types: fallbackTypes };
}

function furthest(a: ShardPositions, b: ShardPositions): Record<string, string> {
  const out: Record<string, string> = { ...a };
  for (const [shard, position] of Object.entries(b)) if (!((out[shard] ?? NOTHING) >= position)) out[shard] = position;
  return out;
}

/**
 * `since`: the token's keys positions; `undefined` for an initial sync (no device lists) and also
 * for a token made before the keys stream existed (delivering from nothing would list everyone).
 */
export async function keysForSync(
  userId: string,
  deviceId: string,
  since: ShardPositions | undefined,
  toDeviceSince: string | undefined,
  /** The token's rooms positions: who started (device_lists.changed) or stopped (left) sharing a room since. */
  roomsSince?: ShardPositions,
  /** The requester's rooms as the sync's cut read them (saves reading them again). */
  rooms?: readonly RequesterRoom[],
  /** The keys watermarks the sync pass read with the others (read here when absent). */
  keysWatermarks?: ShardPositions,
): Promise<KeysSyncPass> {
  const watermarks = keysWatermarks ?? (await readAllWatermarks()).keys;
  const [toDevice, lists] = await Promise.all([
    (async () => {
      const inbox = await inboxForSync(userId, deviceId, toDeviceSince);
      if (inbox.delivered && toDeviceSince !== undefined) {
        // The client has what the token's position names: those entries go (through the depot,
        // without waiting; a lost ack only delays the deletion to a later sync).
        const ack: KeysCommand = { kind: 'keys.toDeviceAck', userId, deviceId, upTo: toDeviceSince };
        await appendCommands('users', [{ partitionKey: userId, command: ack }]);
      }
      return inbox;
    })(),
    since ? changedDeviceLists(userId, since, watermarks, roomsSince, undefined, rooms) : Promise.resolve({ changed: [], left: [] }),
  ]);
  return {
    section: { device_lists: lists, to_device: { events: toDevice.events } },
    next: furthest(since ?? {}, watermarks),
    nextToDevice: toDevice.last ?? toDeviceSince,
    news: lists.changed.length > 0 || lists.left.length > 0 || toDevice.events.length > 0,
  };
}
