// OpenID tokens for third parties (lib/matrix/openid); written by the submissions topology.
import type { ModuleFragment } from '../../core/module.ts';

export const openIdRoutes = {
  // Served by the accountServices function, declared in account-services.ts.
  functions: {},
  routes: [{ method: 'POST', path: '/_matrix/client/v3/user/{userId}/openid/request_token', function: 'accountServices', operation: 'requestOpenIdToken' }],
} satisfies ModuleFragment;
