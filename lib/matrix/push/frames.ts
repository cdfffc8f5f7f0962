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

/**
 * What a `sync_needed` frame announces: news that frames do not carry, fetched with one HTTP /sync.
 * `frame_too_large`: a sync frame would have exceeded the channel's message size (MAX_FRAME_BYTES).
 */
export type SyncNeededReason = 'to_device' | 'device_lists' | 'account_data' | 'one_time_keys' | 'frame_too_large';

/** Carries no position: the client's next_batch stays what its last sync frame or /sync gave. */
export interface SyncNeededFrame {
  type: 'sync_needed';
  reason: SyncNeededReason;
}

export type ServerFrame = SyncFrame | SyncNeededFrame | ErrorFrame | { type: 'pong' };

/**
 * The largest message the channel carries: API Gateway's WebSocket message payload quota (128 KB;
 * it splits a message into frames of at most 32 KB itself, and refuses a larger @connections post
 * with 413 PayloadTooLargeException).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 * A sync frame over it is not sent: the client gets `sync_needed` (frame_too_large) instead and
 * fetches the same delta with one HTTP /sync (which has no such limit).
 */
export const MAX_FRAME_BYTES = 128 * 1024;

/** A frame as the channel sends it (UTF-8 JSON), or undefined when it would exceed MAX_FRAME_BYTES. */
export function encodeFrame(frame: ServerFrame): string | undefined {
  const text = JSON.stringify(frame);
  return Buffer.byteLength(text, 'utf8') <= MAX_FRAME_BYTES ? text : undefined;
}

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
