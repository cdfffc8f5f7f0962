// The function serving the small account services, whose routes their own fragments declare:
// third-party identifiers (threepids.ts), OpenID tokens (openid.ts), whois (admin.ts) and TURN
// servers (voip.ts). One function for all four: each function costs the CloudFormation stack ~7
// resources (function, role, policy, log group, permission, integration, alarm) of its 500.
import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, devices, rateLimits, users } from '../pstates.ts';

export const accountServicesRoutes = {
  functions: {
    accountServices: {
      entry: 'functions/http/account-services.ts',
      description: "Third-party identifiers, OpenID tokens, whois and TURN servers",
      // users/devices: the password stage of /account/3pid/add and whois; users depot: OpenID tokens.
      access: { reads: [accessTokens, users, devices, rateLimits], writes: [rateLimits], appends: [depots.users] },
    },
  },
} satisfies ModuleFragment;
