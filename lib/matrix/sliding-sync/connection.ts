// Sliding sync connections (MSC4186 "Connections"). A `pos` names two things: the cut of the
// server's streams the client has everything up to (a /sync token, lib/matrix/sync/token.ts: the
// same no-gap, no-repeat rule per lane) and the connection state as of that response: which rooms
// were sent with which config and membership, the sticky room subscriptions and extensions, the
// list counts. That state is an item of its own per issued position, keyed by user, device,
// conn_id and a random position id, so a position from another user or device, an unknown or an
// expired one is simply not found: 400 M_UNKNOWN_POS, as Synapse answers, and the client starts
// over. A response that changes no connection state keeps the position id (only the cut moves),
// so an idle long-poll writes nothing. Using a position deletes the one it was made from (the
// MSC lets a server drop state from before a position it has seen used); positions nobody uses
// again (a cancelled request's, a replaced connection's) go with DynamoDB's TTL.
//
// Written directly by the sliding sync function, not through a depot: like WebSocket connections
// (lib/matrix/pstates.ts) it is the gateway's own per-client state, nothing is derived from it,
// and nothing is ever rebuilt from it.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { commit, json, map, number, pstate, record, string, type WriteOp } from '../../core/pstate/index.ts';
import { canonicalJson } from '../canonical-json.ts';
import { MatrixError } from '../errors.ts';
import { decodeSyncToken, encodeSyncToken, type SyncPosition } from '../sync/token.ts';
import type { ExtensionScopes, ScopedExtension } from './extension-scope.ts';
import type { ExtensionName, RoomConfig } from './request.ts';

/** A room as last sent on the connection: its config key (room-config.ts) and the user's membership then. */
export interface SentRoom {
  c: string;
  m: string;
}

export interface ConnectionState {
  /** The position id this state was made from (deleted once this one is used). */
  parent?: string;
  rooms: Record<string, SentRoom>;
  /** Sticky room subscriptions. */
  subs: Record<string, RoomConfig>;
  /** Each list's count as last sent. */
  counts: Record<string, number>;
  /** Extensions on (sticky). */
  ext: ExtensionName[];
  /** Room-scoped extensions' `lists`/`rooms` other than the default (sticky; absent: the default). */
  scopes?: ExtensionScopes;
  /**
   * The rooms each room-scoped extension with a scope other than the default covered in this
   * response (with the default, it covers every room the connection has: `rooms`), so that a room
   * it covers later gets its current receipts, typing and account data, not only what changes.
   */
  covered?: Partial<Record<ScopedExtension, string[]>>;
}

const connectionState = z.custom<ConnectionState>((v) => typeof v === 'object' && v !== null && 'rooms' in v);

/**
 * `<user id>\u0000<device id>\u0000<conn_id>\u0000<position id>` → the connection state as of that
 * position; `expiresAt` (epoch seconds) is also the item's TTL.
 */
export const slidingSyncPositions = pstate('slidingSyncPositions', map(string(), record({ state: json(connectionState), expiresAt: number() })));

export const slidingSyncPStates = [slidingSyncPositions] as const;

/** How long an unused position stays valid. Synapse keeps an unused connection for a week too. */
export const POSITION_TTL_SECONDS = 7 * 24 * 3600;
/** A position kept by idle polls is written again when it has less than this left. */
const REFRESH_BEFORE_SECONDS = 24 * 3600;

const POS_PREFIX = 'ss1.';

export const unknownPos = () => new MatrixError(400, 'M_UNKNOWN_POS', 'Unknown position');

/**
 * The most connection state one position keeps (sticky subscriptions with their configs, the rooms
 * sent): well under DynamoDB's 400 KB item. More is refused before anything is saved.
 */
export const MAX_STATE_BYTES = 256 * 1024;

export interface ConnectionKey {
  userId: string;
  deviceId: string;
  connId: string;
}

export interface LoadedConnection {
  /** The position id the request named (undefined: a new connection). */
  posId?: string;
  since?: SyncPosition;
  state: ConnectionState;
  expiresAt: number;
}

const itemKey = (key: ConnectionKey, posId: string) => `${key.userId}\u0000${key.deviceId}\u0000${key.connId}\u0000${posId}`;

export function encodePos(posId: string, position: SyncPosition): string {
  return `${POS_PREFIX}${posId}.${encodeSyncToken(position)}`;
}

function decodePos(pos: string): { posId: string; since: SyncPosition } {
  const match = /^ss1\.([0-9a-f]{24})\.(s1_[A-Za-z0-9_-]+)$/.exec(pos);
  if (!match) throw unknownPos();
  try {
    return { posId: match[1]!, since: decodeSyncToken(match[2]!) };
  } catch {
    throw unknownPos();
  }
}

export const emptyState = (): ConnectionState => ({ rooms: {}, subs: {}, counts: {}, ext: [] });

/** The connection state a request continues from; M_UNKNOWN_POS when its position is not known (any more). */
export async function loadConnection(key: ConnectionKey, pos: string | undefined, now = Date.now()): Promise<LoadedConnection> {
  if (pos === undefined) return { state: emptyState(), expiresAt: 0 };
  const { posId, since } = decodePos(pos);
  const item = await slidingSyncPositions.key(itemKey(key, posId)).get({ consistent: true });
  if (!item?.state || !item.expiresAt || item.expiresAt * 1000 <= now) throw unknownPos();
  return { posId, since, state: item.state, expiresAt: item.expiresAt };
}

/** Whether two connection states are the same (key order aside). */
export const sameState = (a: Omit<ConnectionState, 'parent'>, b: Omit<ConnectionState, 'parent'>) => canonicalJson(a) === canonicalJson(b);

/**
 * Record the state a response leaves the connection in and answer its position id: the same id
 * when nothing changed (and the item has time left), else a new item made from this one.
 */
export async function saveConnection(key: ConnectionKey, loaded: LoadedConnection, next: Omit<ConnectionState, 'parent'>, now = Date.now()): Promise<string> {
  const nowSeconds = Math.floor(now / 1000);
  const { parent, ...current } = loaded.state;
  const ops: WriteOp[] = [];
  // The client uses loaded.posId: the position it was made from is of no more use.
  if (parent) ops.push(slidingSyncPositions.key(itemKey(key, parent)).remove());
  if (loaded.posId && sameState(current, next) && loaded.expiresAt - nowSeconds > REFRESH_BEFORE_SECONDS) {
    // Kept without its parent, so later polls on it write nothing.
    if (parent) {
      ops.push(slidingSyncPositions.key(itemKey(key, loaded.posId)).setExpiring({ state: current, expiresAt: loaded.expiresAt }, loaded.expiresAt));
      await commit(ops);
    }
    return loaded.posId;
  }
  const posId = randomBytes(12).toString('hex');
  const state: ConnectionState = { ...next, ...(loaded.posId ? { parent: loaded.posId } : {}) };
  if (Buffer.byteLength(canonicalJson(state)) > MAX_STATE_BYTES) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Too much connection state: fewer or smaller room subscriptions, or lists with ranges');
  }
  const expiresAt = nowSeconds + POSITION_TTL_SECONDS;
  ops.push(slidingSyncPositions.key(itemKey(key, posId)).setExpiring({ state, expiresAt }, expiresAt));
  await commit(ops);
  return posId;
}
