// Server administration (lib/matrix/admin): whois, for oneself or, for server admins, anyone.
import type { ModuleFragment } from '../../core/module.ts';

export const adminRoutes = {
  // Served by the accountServices function, declared in account-services.ts.
  functions: {},
  routes: [{ method: 'GET', path: '/_matrix/client/v3/admin/whois/{userId}', function: 'accountServices', operation: 'getWhoIs' }],
} satisfies ModuleFragment;
