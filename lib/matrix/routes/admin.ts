// Server administration (lib/matrix/admin): whois, for oneself or, for server admins, anyone.
import type { ModuleFragment } from '../../core/module.ts';

export const adminRoutes = {
  functions: {
    admin: {
      entry: 'functions/http/admin.ts',
      description: "Server administration: a user's sessions (whois)",
      access: { reads: ['accessTokens', 'users', 'devices'] },
    },
  },
  routes: [{ method: 'GET', path: '/_matrix/client/v3/admin/whois/{userId}', function: 'admin', operation: 'getWhoIs' }],
} satisfies ModuleFragment;
