// Sync tokens (`since` / `next_batch`): opaque to clients, they name a cut of the server's streams,
// per lane (lib/core/partitions.ts; a shard for the microbatch streams) the sequence position up
// to which the client has everything: `rooms` for the rooms depot (timelines, memberships),
// `accountData` for the userData topology. Format: `s1_<base64url(JSON {"r": {lane: seq}, "a":
// {lane: seq}})>`, sequence numbers as decimals; the digits all positions of a map start with are
// written once, under the key "" (never a lane). Anything else is 400 M_INVALID_PARAM, never a 500.
import { sequencePosition } from '../../core/topology/records.ts';
import { invalidParam } from '../errors.ts';
import { ephemeralCursorFromJson, ephemeralCursorToJson, type EphemeralCursor } from '../ephemeral/cursor.ts';

/** Lane (or shard) → sequencePosition (fixed width: string order is numeric order). */
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

/** Under this key, the digits every position of the map starts with. */
const PREFIX_KEY = '';
/** A shared prefix shorter than this is not worth its key. */
const MIN_SHARED_PREFIX = 8;

function sharedPrefix(values: readonly string[]): string {
  let prefix = values[0] ?? '';
  for (const v of values) while (!v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** Positions without leading zeros; digits they all start with written once (a lane per partition makes many). */
function compact(positions: ShardPositions): Record<string, string> {
  const entries = Object.entries(positions).map(([lane, position]) => [lane, position.replace(/^0+(?=\d)/, '')] as const);
  // Each kept position keeps at least one digit of its own.
  const prefix = entries.length > 1 ? sharedPrefix(entries.map(([, p]) => p.slice(0, -1))) : '';
  if (prefix.length < MIN_SHARED_PREFIX) return Object.fromEntries(entries);
  return { [PREFIX_KEY]: prefix, ...Object.fromEntries(entries.map(([lane, p]) => [lane, p.slice(prefix.length)])) };
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
  const { [PREFIX_KEY]: prefix = '', ...rest } = value as Record<string, unknown>;
  if (typeof prefix !== 'string' || !/^\d{0,128}$/.test(prefix)) return undefined;
  const entries = Object.entries(rest);
  if (entries.length > MAX_SHARDS || (Object.hasOwn(value, PREFIX_KEY) && entries.length === 0)) return undefined;
  const out: Record<string, string> = {};
  for (const [lane, digits] of entries) {
    if (typeof digits !== 'string' || !/^\d{1,129}$/.test(digits) || lane.length > 128) return undefined;
    const seq = prefix + digits;
    if (seq.length > 129) return undefined;
    out[lane] = sequencePosition(seq);
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

/** How tokens from before depot partitions name a shard (a Kinesis shard id). */
const SHARD_KEY = /^shardId-(\d+)$/;

/**
 * `positions` (from a token) in the lanes of `lanes` (a cut's watermarks). A token made before
 * depot partitions names shards, and having everything of a shard up to a position is having
 * everything of each of its lanes up to it (a lane is a part of its shard, in the shard's sequence
 * numbers): each lane of a named shard the token does not name starts at the shard's position.
 * The shard's own key stays: rooms last written before partitions keep it as their lane
 * (roomInfo's shardId), its watermark where those records left it.
 */
export function inLanes(positions: ShardPositions, lanes: ShardPositions): ShardPositions {
  const shards = new Map<string, string>();
  for (const [key, position] of Object.entries(positions)) {
    const shard = SHARD_KEY.exec(key);
    if (shard) shards.set(String(Number(shard[1])), position);
  }
  if (!shards.size) return positions;
  const out: Record<string, string> = { ...positions };
  for (const lane of Object.keys(lanes)) {
    const position = shards.get(lane.slice(0, lane.indexOf('.')));
    if (position !== undefined && lane.includes('.') && out[lane] === undefined) out[lane] = position;
  }
  return out;
}

/** Below every real position: a shard missing from a token has delivered nothing yet. */
export const NOTHING = '';

/** Whether `seq` falls in the half-open window (lo, hi] (positions in sequencePosition form). */
export function inWindow(seq: string, lo: string, hi: string): boolean {
  return seq > lo && seq <= hi;
}
