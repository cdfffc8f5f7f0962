// Pushing frames to connections. A connection the gateway answers 410 for (closed without our
// $disconnect having run yet, or lost) is forgotten. Push failures never fail the caller: a push is
// a courtesy on top of /sync, which a client catches up with from its last frame's next_batch.
import { closeConnection, postToConnection } from '../../core/websocket-connections.ts';
import { removeConnection, userConnections, type Connection } from './connections.ts';
import { filterDelta } from './frame-filter.ts';
import { encodeFrame, syncFrame, syncNeededFrame, type ServerFrame, type SyncDelta } from './frames.ts';
import { logger } from '../../core/log.ts';

const log = logger('axon-push');

/** `opening`: 410 while the connection may still be in its handshake ($connect not answered yet). */
export type PushOutcome = 'sent' | 'gone' | 'opening' | 'failed';

/**
 * A connection is recorded during $connect, before the gateway opens it (API Gateway answers 410
 * until $connect returns, up to its 29 s integration timeout); within this window a 410 does not
 * mean gone.
 */
export const HANDSHAKE_WINDOW_MS = 30_000;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Post one frame to one connection. Gone: the connection's records are removed. Any other failure
 * closes the connection, so the client reconnects and catches up from the last frame it did get
 * (its cursor may already count the lost frame: keeping the connection would leave a gap). A frame
 * over the channel's size limit goes as a `sync_needed` nudge: the client fetches it over HTTP.
 */
export async function pushFrame(c: Pick<Connection, 'connectionId' | 'userId' | 'connectedAt'>, frame: ServerFrame): Promise<PushOutcome> {
  try {
    const data = encodeFrame(frame) ?? JSON.stringify(syncNeededFrame('frame_too_large'));
    if ((await postToConnection(c.connectionId, data)) === 'sent') return 'sent';
    if (Date.now() - c.connectedAt < HANDSHAKE_WINDOW_MS) return 'opening';
    await removeConnection(c.connectionId, c.userId);
    return 'gone';
  } catch (err) {
    log.warn(`push to ${c.connectionId} failed: ${describe(err)}`);
    try {
      await closeConnection(c.connectionId);
      await removeConnection(c.connectionId, c.userId);
    } catch (closeErr) {
      log.warn(`closing ${c.connectionId} failed: ${describe(closeErr)}`);
    }
    return 'failed';
  }
}

/** Post to many connections at once, each its own frame (per device: transaction ids, cursors). */
export async function pushToConnections<C extends Pick<Connection, 'connectionId' | 'userId' | 'connectedAt'>>(
  targets: readonly C[],
  frameFor: (c: C) => ServerFrame | undefined | Promise<ServerFrame | undefined>,
): Promise<PushOutcome[]> {
  return Promise.all(
    targets.map(async (c) => {
      let frame: ServerFrame | undefined;
      try {
        frame = await frameFor(c);
      } catch (err) {
        log.warn(`frame for ${c.connectionId} failed: ${describe(err)}`);
        return 'failed' as const;
      }
      return frame ? pushFrame(c, frame) : ('sent' as const);
    }),
  );
}

/**
 * Push a /sync delta that moves no stream position (typing, presence, receipts) to every
 * connection of a user, as each connection's filter lets it through; each frame's next_batch is
 * that connection's cursor, unchanged.
 */
export async function pushToUser(userId: string, data: SyncDelta): Promise<PushOutcome[]> {
  return pushToConnections(await userConnections(userId), (c) => {
    const filtered = filterDelta(data, c.filter);
    return filtered ? syncFrame(c.cursor, filtered) : undefined;
  });
}
