// A WebSocket connection lives exactly as long as the access token it was opened with. When tokens
// are revoked (logout, logout/all, device deletion, a password change that logs out the other
// devices, deactivation, a login that reuses a device id), the connections opened with them are
// forgotten (no push finds them any more) and closed through @connections; so are all of a user's
// connections when an admin locks them.
import { getMany } from '../../core/pstate/index.ts';
import { closeConnection } from '../../core/websocket-connections.ts';
import { accessTokens } from '../pstates.ts';
import { removeConnection, userConnections } from './connections.ts';
import { errorText, logger } from '../../core/log.ts';

const log = logger('axon-push');

/** The token's session (by hash) if it still authenticates `userId` and is not locked: one consistent GetItem. */
export async function liveSession(userId: string, tokenHash: string): Promise<{ shadowBanned: boolean } | undefined> {
  if (!tokenHash) return undefined;
  const session = await accessTokens.key(tokenHash).get({ consistent: true });
  const expired = !!session?.expiresTs && Date.now() >= session.expiresTs;
  return session?.userId === userId && session.locked !== true && !expired ? { shadowBanned: session.shadowBanned === true } : undefined;
}

/** Whether the token (by hash) still authenticates `userId`, unlocked. */
export async function tokenStillValid(userId: string, tokenHash: string): Promise<boolean> {
  return (await liveSession(userId, tokenHash)) !== undefined;
}

/** Forget a connection, then close its socket (the records go first: from then on nothing is pushed to it). */
export async function dropConnection(connectionId: string, userId?: string): Promise<void> {
  await removeConnection(connectionId, userId);
  try {
    await closeConnection(connectionId);
  } catch (err) {
    // Forgotten already: it gets no frame and its messages are refused; the gateway's idle timeout ends it.
    log.warn(`closing ${connectionId} failed: ${errorText(err)}`);
  }
}

/** A lock (Synapse's): every connection of the user goes, as every request of theirs is refused. Idempotent. */
export async function dropAllConnections(userId: string): Promise<number> {
  const open = await userConnections(userId);
  await Promise.all(open.map((c) => dropConnection(c.connectionId, userId)));
  return open.length;
}

/**
 * Drop every connection of `userId` whose token no longer exists (one Query of the user's
 * connections, one BatchGetItem of their tokens). Idempotent: run after every revocation, by the
 * operation before it answers and by the users topology after its commit (so a crash in between
 * leaves none behind). Returns how many were dropped.
 */
export async function dropRevokedConnections(userId: string): Promise<number> {
  const open = await userConnections(userId);
  if (!open.length) return 0;
  const hashes = [...new Set(open.map((c) => c.tokenHash).filter((h) => h !== ''))];
  const sessions = hashes.length ? await getMany(hashes.map((h) => accessTokens.key(h)), { consistent: true }) : [];
  const alive = new Set(hashes.filter((_, i) => sessions[i]?.userId === userId));
  const revoked = open.filter((c) => !alive.has(c.tokenHash));
  await Promise.all(revoked.map((c) => dropConnection(c.connectionId, userId)));
  return revoked.length;
}
