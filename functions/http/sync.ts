// GET /_matrix/client/v3/sync: initial and incremental sync with long-polling (lib/matrix/sync).
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { axon } from '../../lib/matrix/module.ts';
import { resolveSyncFilter } from '../../lib/matrix/sync/filter.ts';
import { syncWithWait } from '../../lib/matrix/sync/long-poll.ts';
import { parseSyncQuery } from '../../lib/matrix/sync/request.ts';
import { encodeSyncToken } from '../../lib/matrix/sync/token.ts';
import { refreshPresence } from '../../lib/matrix/ephemeral/submit.ts';

export const handler = httpFunction(axon, 'sync', {
  sync: async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const query = parseSyncQuery(request.query);
    const filter = await resolveSyncFilter(userId, query.filter);
    // Syncing marks the user online unless set_presence says otherwise (appended only on change).
    await refreshPresence(userId, query.setPresence ?? 'online');
    const pass = await syncWithWait(
      { userId, deviceId, ...(query.since ? { since: query.since } : {}), fullState: query.fullState, filter },
      query.timeoutMs,
      () => request.remainingTimeMs(),
    );
    return json({ next_batch: encodeSyncToken(pass.next), ...pass.body });
  },
});
