// Synapse's admin API under /_synapse/admin (lib/matrix/admin/synapse-admin.ts dispatches by path,
// then requires a server admin: an unknown path is 404 M_UNRECOGNIZED before any token is read).
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { synapseAdmin } from '../../lib/matrix/admin/synapse-admin.ts';

export const handler = matrixFunction('synapseAdmin', { synapseAdmin: operation({ auth: 'none' }, ({ request }) => synapseAdmin(request)) });
