// Sync tokens (`since` / `next_batch`): opaque to clients, they name a cut of the server's streams,
// per shard the sequence position up to which the client has everything: `rooms` for the rooms
// depot (timelines, memberships), `accountData` for the userData topology. Format:
// `s1_<base64url(JSON {"r": {shard: seq}, "a": {shard: seq}})>`, sequence numbers as decimals.
// Anything else is 400 M_INVALID_PARAM, never a 500.
import { sequencePosition } from '../../core/topology/records.ts';
import { invalidParam } from '../errors.ts';
import { ephemeralCursorFromJson, ephemeralCursorToJson, type EphemeralCursor } from '../ephemeral/sync.ts';

/** Shard id → sequencePosition (fixed width: string order is numeric order). */
export type ShardPositions = Readonly<Record<string, string>>;

export interface SyncPosition {
  rooms: ShardPositions;
  accountData: ShardPositions;
  /** Typing, receipts and presence (lib/matrix/ephemeral/sync.ts); token field `e`. */
  ephemeral?: EphemeralCursor;
  /** The keys topology's shards (device-list changes, lib/matrix/keys); token field `k`, absent in older tokens. */
  keys?: ShardPositions;
  /** The syncing device's to-device inbox position delivered so far (lib/matrix/keys/to-device.ts); token field `t`. */
  toDevice?: string;
  /**
   * The user's wake count read before the long-poll pass that made this token, and until when
   * their long-poll registration was valid then (lib/matrix/sync/long-poll.ts); token field `w`.
   */
  wake?: WakeMark;
}

export interface WakeMark {
  wakes: number;
  pollingUntil: number;
}

const PREFIX = 's1_';
const MAX_TOKEN_LENGTH = 8192;
const MAX_SHARDS = 256;

function compact(positions: ShardPositions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [shard, position] of Object.entries(positions)) out[shard] = position.replace(/^0+(?=\d)/, '');
  return out;
}

export function encodeSyncToken(position: SyncPosition): string {
  const body = JSON.stringify({
    r: compact(position.rooms),
    a: compact(position.accountData),
    ...(position.ephemeral ? { e: ephemeralCursorToJson(position.ephemeral) } : {}),
    ...(position.keys ? { k: compact(position.keys) } : {}),
    ...(position.toDevice ? { t: position.toDevice } : {}),
    ...(position.wake ? { w: [position.wake.wakes, position.wake.pollingUntil] } : {}),
  });
  return `${PREFIX}${Buffer.from(body, 'utf8').toString('base64url')}`;
}

function positionsOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_SHARDS) return undefined;
  const out: Record<string, string> = {};
  for (const [shard, seq] of entries) {
    if (typeof seq !== 'string' || !/^\d{1,129}$/.test(seq) || shard.length === 0 || shard.length > 128) return undefined;
    out[shard] = sequencePosition(seq);
  }
  return out;
}

/** The cut a token names; anything that is not a token this server made is M_INVALID_PARAM. */
export function decodeSyncToken(token: string): SyncPosition {
  const invalid = () => invalidParam('since is not a valid sync token');
  if (!token.startsWith(PREFIX) || token.length > MAX_TOKEN_LENGTH) throw invalid();
  const body = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const rooms = positionsOf((parsed as { r?: unknown }).r);
  const accountData = positionsOf((parsed as { a?: unknown }).a);
  if (!rooms || !accountData) throw invalid();
  const e = (parsed as { e?: unknown }).e;
  const ephemeral = e === undefined ? undefined : ephemeralCursorFromJson(e);
  if (e !== undefined && !ephemeral) throw invalid();
  const k = (parsed as { k?: unknown }).k;
  const keys = k === undefined ? undefined : positionsOf(k);
  if (k !== undefined && !keys) throw invalid();
  const t = (parsed as { t?: unknown }).t;
  if (t !== undefined && (typeof t !== 'string' || !/^[0-9.]{1,200}$/.test(t))) throw invalid();
  const w = (parsed as { w?: unknown }).w;
  const wakeMark = (value: unknown): WakeMark | undefined =>
    Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
      ? { wakes: value[0] as number, pollingUntil: value[1] as number }
      : undefined;
  const wake = w === undefined ? undefined : wakeMark(w);
  if (w !== undefined && !wake) throw invalid();
  return {
    rooms,
    accountData,
    ...(ephemeral ? { ephemeral } : {}),
    ...(keys ? { keys } : {}),
    ...(t !== undefined ? { toDevice: t } : {}),
    ...(wake ? { wake } : {}),
  };
}

/** Below every real position: a shard missing from a token has delivered nothing yet. */
export const NOTHING = '';

/** Whether `seq` falls in the half-open window (lo, hi] (positions in sequencePosition form). */
export function inWindow(seq: string, lo: string, hi: string): boolean {
  return seq > lo && seq <= hi;
}
