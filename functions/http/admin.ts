// Server administration: GET /admin/whois/{userId} (lib/matrix/admin).
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { whoIs } from '../../lib/matrix/admin/whois.ts';

export const adminOperations = {
  getWhoIs: async (request) => {
    const { userId } = await authenticate(request);
    return json(await whoIs(userId, request.pathParameters.userId!));
  },
} satisfies Record<string, Operation>;
