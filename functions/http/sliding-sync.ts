// POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync on Lambda: simplified sliding
// sync (lib/matrix/sliding-sync/operation.ts), long-polling by polling the user's wake item.
import { httpFunction } from '../../lib/http/http-function.ts';
import { axon } from '../../lib/matrix/module.ts';
import { slidingSyncOperation } from '../../lib/matrix/sliding-sync/operation.ts';

export const handler = httpFunction(axon, 'slidingSync', { slidingSync: slidingSyncOperation });
