// POST /user/{userId}/openid/request_token: an OpenID token for the requester (lib/matrix/openid).
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { requestOpenIdToken } from '../../lib/matrix/openid/tokens.ts';
import { limitWrites } from '../../lib/matrix/rate-limits.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { z } from 'zod';

export const openIdOperations = {
  requestOpenIdToken: async (request) => {
    const { userId } = await authenticate(request);
    // The spec's body is an empty object, reserved for future expansion: any object will do.
    parseRequestBody(z.looseObject({}), request.body ?? {});
    const target = request.pathParameters.userId!;
    if (target === userId) await limitWrites(userId);
    return json(await requestOpenIdToken(userId, target));
  },
} satisfies Record<string, Operation>;
