// The frames the WebSocket channel carries (ARCHITECTURE §7). Server → client: `sync` frames whose
// `data` is a /sync response delta (so a client reuses its sync handling) with a `next_batch` usable
// as a /sync `since` for catch-up, `sync_needed` frames (news that only an HTTP /sync carries),
// `pong`, and `error` frames shaped like Matrix errors. Clients ignore frame types they do not know.
import type { JsonObject } from '../canonical-json.ts';

/** The parts of a /sync response a frame may carry; absent parts mean "nothing new". */
export interface SyncDelta {
  rooms?: {
    join?: Record<string, { timeline?: { events: JsonObject[] }; ephemeral?: { events: JsonObject[] }; state?: { events: JsonObject[] } }>;
    invite?: Record<string, { invite_state: { events: JsonObject[] } }>;
    leave?: Record<string, { timeline: { events: JsonObject[] } }>;
  };
  presence?: { events: JsonObject[] };
  account_data?: { events: JsonObject[] };
}

export interface SyncFrame {
  type: 'sync';
  next_batch: string;
  data: SyncDelta;
}

export interface ErrorFrame {
  type: 'error';
  errcode: string;
  error: string;
}

/** What a `sync_needed` frame announces: news that frames do not carry, fetched with one HTTP /sync. */
export type SyncNeededReason = 'to_device' | 'device_lists' | 'account_data' | 'one_time_keys';

/** Carries no position: the client's next_batch stays what its last sync frame or /sync gave. */
export interface SyncNeededFrame {
  type: 'sync_needed';
  reason: SyncNeededReason;
}

export type ServerFrame = SyncFrame | SyncNeededFrame | ErrorFrame | { type: 'pong' };

export function syncFrame(nextBatch: string, data: SyncDelta): SyncFrame {
  return { type: 'sync', next_batch: nextBatch, data };
}

export function errorFrame(errcode: string, error: string): ErrorFrame {
  return { type: 'error', errcode, error };
}

export function syncNeededFrame(reason: SyncNeededReason): SyncNeededFrame {
  return { type: 'sync_needed', reason };
}

export const pongFrame = { type: 'pong' } as const;
