// The frames the WebSocket channel carries (ARCHITECTURE §7). Server → client: `sync` frames whose
// `data` is a /sync response delta (so a client reuses its sync handling) with a `next_batch` usable
// as a /sync `since` for catch-up, `pong`, and `error` frames shaped like Matrix errors.
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

export type ServerFrame = SyncFrame | ErrorFrame | { type: 'pong' };

export function syncFrame(nextBatch: string, data: SyncDelta): SyncFrame {
  return { type: 'sync', next_batch: nextBatch, data };
}

export function errorFrame(errcode: string, error: string): ErrorFrame {
  return { type: 'error', errcode, error };
}

export const pongFrame = { type: 'pong' } as const;
