// OpenID tokens for third parties (lib/matrix/openid); written by the submissions topology.
import type { ModuleFragment } from '../../core/module.ts';

export const openIdRoutes = {
  functions: {
    openid: {
      entry: 'functions/http/openid.ts',
      description: 'OpenID tokens a user hands to third parties',
      access: { reads: ['accessTokens', 'rateLimits'], writes: ['rateLimits'], appends: ['users'] },
    },
  },
  routes: [{ method: 'POST', path: '/_matrix/client/v3/user/{userId}/openid/request_token', function: 'openid', operation: 'requestOpenIdToken' }],
} satisfies ModuleFragment;
