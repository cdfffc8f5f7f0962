// The connections PStates: who is connected, on which device, and each connection's cursor.
// Written directly, not through a depot: they mirror the gateway's own connection table.
import { commit, isConditionFailed } from '../../core/pstate/index.ts';
import type { FilterDefinition } from '../filters.ts';
import { connectionOwners, connections } from '../pstates.ts';

export interface Connection {
  connectionId: string;
  userId: string;
  deviceId: string;
  connectedAt: number;
  /** Sync token of the last frame pushed (see cursor.ts). */
  cursor: string;
  /** The rooms watermarks once the connection was registered (a token). */
  floor: string;
  /** The sync filter named at $connect: frames carry only what it lets through. */
  filter?: FilterDefinition;
  /** The hash of the access token it was opened with ('' for a connection recorded before tokens were bound). */
  tokenHash: string;
}

type StoredConnection = { deviceId?: string; connectedAt?: number; cursor?: string; floor?: string; filter?: string; tokenHash?: string };

function fromStored(userId: string, connectionId: string, c: StoredConnection | undefined): Connection | undefined {
  if (!c || c.deviceId === undefined || c.cursor === undefined || c.floor === undefined) return undefined;
  return {
    connectionId,
    userId,
    deviceId: c.deviceId,
    connectedAt: c.connectedAt ?? 0,
    cursor: c.cursor,
    floor: c.floor,
    ...(c.filter ? { filter: JSON.parse(c.filter) as FilterDefinition } : {}),
    tokenHash: c.tokenHash ?? '',
  };
}

const storedConnection = (c: Connection) => ({
  deviceId: c.deviceId,
  connectedAt: c.connectedAt,
  cursor: c.cursor,
  floor: c.floor,
  // Whole-record writes name every field: '' is no filter.
  filter: c.filter !== undefined ? JSON.stringify(c.filter) : '',
  tokenHash: c.tokenHash,
});

export async function recordConnection(c: Connection): Promise<void> {
  await commit([
    connections.key(c.userId).key(c.connectionId).set(storedConnection(c)),
    connectionOwners.key(c.connectionId).set({ userId: c.userId, tokenHash: c.tokenHash }),
  ]);
}

/**
 * Rewrite a recorded connection, only if it is still recorded: false when it was removed
 * meanwhile (its token revoked by a logout that swept it), so it must not come back.
 */
export async function rerecordConnection(c: Connection): Promise<boolean> {
  try {
    await commit([connections.key(c.userId).key(c.connectionId).set(storedConnection(c), { ifExists: true })]);
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** Forget a connection (closed or gone); nothing happens when it is already forgotten. */
export async function removeConnection(connectionId: string, userId?: string): Promise<void> {
  const owner = userId ?? (await connectionOwners.key(connectionId).get({ consistent: true }))?.userId;
  const ops = [connectionOwners.key(connectionId).remove()];
  if (owner) ops.push(connections.key(owner).key(connectionId).remove());
  await commit(ops);
}

/** Whose a connection is and the token it was opened with ('' when recorded before tokens were bound). */
export async function connectionOwner(connectionId: string): Promise<{ userId: string; tokenHash: string } | undefined> {
  const owner = await connectionOwners.key(connectionId).get({ consistent: true });
  return owner?.userId ? { userId: owner.userId, tokenHash: owner.tokenHash ?? '' } : undefined;
}

/** The user's open connections (one consistent Query; a user has few). */
export async function userConnections(userId: string): Promise<Connection[]> {
  const stored = await connections.key(userId).entries({ consistent: true });
  return stored.flatMap(([connectionId, c]) => fromStored(userId, connectionId, c) ?? []);
}

export async function readConnection(userId: string, connectionId: string): Promise<Connection | undefined> {
  return fromStored(userId, connectionId, await connections.key(userId).key(connectionId).get({ consistent: true }));
}

/** Set a position field from `from` to `to`; false when it was no longer `from` (or the connection is gone). */
async function swapPosition(c: Pick<Connection, 'userId' | 'connectionId'>, field: 'cursor' | 'floor', from: string, to: string): Promise<boolean> {
  try {
    await commit([connections.key(c.userId).key(c.connectionId).field(field).set(to, { ifEquals: from })]);
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** Move the cursor from `from` to `to`; false when it was no longer `from` (or the connection is gone). */
export function moveCursor(c: Pick<Connection, 'userId' | 'connectionId'>, from: string, to: string): Promise<boolean> {
  return swapPosition(c, 'cursor', from, to);
}

/**
 * Raise the connection's floor on one rooms shard to `seq` (cursor.ts): frames of that shard then
 * stop moving the cursor until the client catches up past it with /sync and a ping. False when the
 * floor changed meanwhile (or the connection is gone).
 */
export function raiseFloor(c: Pick<Connection, 'userId' | 'connectionId'>, from: string, to: string): Promise<boolean> {
  return swapPosition(c, 'floor', from, to);
}
