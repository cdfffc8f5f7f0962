// Synapse's admin API under /_synapse/admin (lib/matrix/admin/synapse-admin.ts dispatches by path).
import { httpFunction } from '../../lib/http/http-function.ts';
import { synapseAdmin } from '../../lib/matrix/admin/synapse-admin.ts';
import { axon } from '../../lib/matrix/module.ts';

export const handler = httpFunction(axon, 'synapseAdmin', { synapseAdmin });
