// GET /sync as an operation, whoever serves it: the sync function on Lambda (waiting by polling
// the user's wake item, lib/matrix/sync/long-poll.ts) or the sync service (waiting for notices,
// lib/matrix/sync/service/). Both answer the same way; only how a long-poll waits differs.
import type { Operation } from '../../http/operation.ts';
import { json } from '../../http/operation.ts';
import { authenticate } from '../accounts/authenticate.ts';
import { refreshPresence } from '../ephemeral/submit.ts';
import type { SyncParams, SyncPass } from './assemble.ts';
import { resolveSyncFilter } from './filter.ts';
import { parseSyncQuery } from './request.ts';
import { encodeSyncToken } from './token.ts';

/** How a long-poll waits: a pass with news, or the last one at the timeout (key counts filled in). */
export type SyncWait = (params: SyncParams, timeoutMs: number, remainingTimeMs: () => number) => Promise<SyncPass>;

export function syncOperation(wait: SyncWait): Operation {
  return async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const query = parseSyncQuery(request.query);
    const filter = await resolveSyncFilter(userId, query.filter);
    // Syncing marks the user online unless set_presence says otherwise (appended only on change).
    await refreshPresence(userId, deviceId, query.setPresence ?? 'online');
    const pass = await wait(
      { userId, deviceId, ...(query.since ? { since: query.since } : {}), fullState: query.fullState, filter },
      query.timeoutMs,
      () => request.remainingTimeMs(),
    );
    return json({ next_batch: encodeSyncToken(pass.next), ...pass.body });
  };
}
