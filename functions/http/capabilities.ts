// GET /capabilities: what this server lets clients do.
import { json } from '../../lib/http/operation.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { capabilities } from '../../lib/matrix/user-data/capabilities.ts';

export const handler = matrixFunction('capabilities', {
  getCapabilities: operation({ auth: 'user' }, () => json({ capabilities: capabilities() })),
});
