// Server administration: GET /admin/whois/{userId} (lib/matrix/admin).
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { whoIs } from '../../lib/matrix/admin/whois.ts';

export const handler = httpFunction(axon, 'admin', {
  getWhoIs: async (request) => {
    const { userId } = await authenticate(request);
    return json(await whoIs(userId, request.pathParameters.userId!));
  },
});
