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
}

type StoredConnection = { deviceId?: string; connectedAt?: number; cursor?: string; floor?: string; filter?: string };

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
  };
}

export async function recordConnection(c: Connection): Promise<void> {
  await commit([
    connections.key(c.userId).key(c.connectionId).set({
      deviceId: c.deviceId,
      connectedAt: c.connectedAt,
      cursor: c.cursor,
      floor: c.floor,
      // Whole-record writes name every field: '' is no filter.
      filter: c.filter !== undefined ? JSON.stringify(c.filter) : '',
    }),
    connectionOwners.key(c.connectionId).set({ userId: c.userId }),
  ]);
}

/** Forget a connection (closed or gone); nothing happens when it is already forgotten. */
export async function removeConnection(connectionId: string, userId?: string): Promise<void> {
  const owner = userId ?? (await connectionOwners.key(connectionId).get({ consistent: true }))?.userId;
  const ops = [connectionOwners.key(connectionId).remove()];
  if (owner) ops.push(connections.key(owner).key(connectionId).remove());
  await commit(ops);
}

export async function connectionOwner(connectionId: string): Promise<string | undefined> {
  return (await connectionOwners.key(connectionId).get({ consistent: true }))?.userId;
}

/** The user's open connections (one consistent Query; a user has few). */
export async function userConnections(userId: string): Promise<Connection[]> {
  const stored = await connections.key(userId).entries({ consistent: true });
  return stored.flatMap(([connectionId, c]) => fromStored(userId, connectionId, c) ?? []);
}

export async function readConnection(userId: string, connectionId: string): Promise<Connection | undefined> {
  return fromStored(userId, connectionId, await connections.key(userId).key(connectionId).get({ consistent: true }));
}

/** Move the cursor from `from` to `to`; false when it was no longer `from` (or the connection is gone). */
export async function moveCursor(c: Pick<Connection, 'userId' | 'connectionId'>, from: string, to: string): Promise<boolean> {
  try {
    await commit([connections.key(c.userId).key(c.connectionId).field('cursor').set(to, { ifEquals: from })]);
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}
