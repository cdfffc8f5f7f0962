// Synapse's admin API under /_synapse/admin (lib/matrix/admin/synapse-admin.ts dispatches by path).
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { synapseAdmin } from '../../lib/matrix/admin/synapse-admin.ts';

export const handler = matrixFunction('synapseAdmin', { synapseAdmin });
