// POST /user/{userId}/openid/request_token: an OpenID token for the requester (lib/matrix/openid).
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { openIdTokenRequest, requestOpenIdToken } from '../../lib/matrix/openid/tokens.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';

export const openIdOperations = {
  requestOpenIdToken: operation({ auth: 'user', params: ['userId'], body: openIdTokenRequest, optionalBody: true }, async ({ requester, params }) =>
    json(await requestOpenIdToken(requester.userId, params.userId)),
  ),
} satisfies Record<string, DeclaredOperation>;
