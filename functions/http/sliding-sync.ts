// POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync on Lambda: simplified sliding
// sync (lib/matrix/sliding-sync/operation.ts), long-polling by polling the user's wake item.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { slidingSyncOperation } from '../../lib/matrix/sliding-sync/operation.ts';

export const handler = matrixFunction('slidingSync', { slidingSync: slidingSyncOperation });
