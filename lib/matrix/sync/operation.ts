// GET /sync as an operation, whoever serves it: the sync function on Lambda (waiting by polling
// the user's wake item, lib/matrix/sync/long-poll.ts) or the sync service (waiting for notices,
// lib/matrix/sync/service/). Both answer the same way; only how a long-poll waits differs.
import { json, type DeclaredOperation } from '../../http/operation.ts';
import { operation } from '../routes/operation.ts';
import { refreshPresence } from '../ephemeral/submit.ts';
import type { SyncParams, SyncPass } from './assemble.ts';
import { resolveSyncFilter } from './filter.ts';
import { parseSyncQuery } from './request.ts';
import { encodeSyncToken } from './token.ts';

/** How a long-poll waits: a pass with news, or the last one at the timeout (key counts filled in). */
export type SyncWait = (params: SyncParams, timeoutMs: number, remainingTimeMs: () => number) => Promise<SyncPass>;

export function syncOperation(wait: SyncWait): DeclaredOperation {
  return operation({ auth: 'user' }, async ({ requester: { userId, deviceId }, request }) => {
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
  });
}
