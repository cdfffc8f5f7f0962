// GET /capabilities: what this server lets clients do.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { capabilities } from '../../lib/matrix/user-data/capabilities.ts';

export const handler = httpFunction(axon, 'capabilities', {
  getCapabilities: async (request) => {
    await authenticate(request);
    return json({ capabilities: capabilities() });
  },
});
