// GET /_matrix/client/v3/sync on Lambda: initial and incremental sync, a long-poll waiting by
// polling the user's wake item (lib/matrix/sync/long-poll.ts). With the sync service enabled the
// route goes to the service instead (services/sync.ts), with the same operation.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { syncWithWait } from '../../lib/matrix/sync/long-poll.ts';
import { syncOperation } from '../../lib/matrix/sync/operation.ts';

export const handler = matrixFunction('sync', { sync: syncOperation(syncWithWait) });
