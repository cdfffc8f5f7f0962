// Synapse's admin API under /_synapse/admin (lib/matrix/admin/synapse-admin.ts): one function,
// one catch-all route per method, so the few dozen admin endpoints cost 4 of the HTTP API's 300
// routes; the function dispatches by path itself. Its writes go through the users depot (accounts, media,
// registration tokens, report dismissals) and the rooms depot (room deletions, blocks) like every other write.
import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, blockedRooms, devices, media, uploaderMedia, eventLocations, pushers, localRooms, localUsers, memberRooms, roomDeletionIds, roomDeletions, roomInfo, roomMembers, roomState, roomTimeline, users } from '../pstates.ts';
import { registrationTokens } from '../registration-tokens/pstates.ts';
import { abuseReports } from '../submissions/pstates.ts';

const admin = '/_synapse/admin/{path+}';

export const synapseAdminRoutes = {
  functions: {
    synapseAdmin: {
      entry: 'functions/http/synapse-admin.ts',
      description: "Synapse's admin API: users, registration tokens, rooms, media, event reports (server admins only)",

      access: {
        reads: [accessTokens, users, devices, localUsers, localRooms, memberRooms, roomInfo, roomMembers, roomState, roomTimeline, eventLocations, registrationTokens, abuseReports, blockedRooms, roomDeletions, roomDeletionIds, media, uploaderMedia, pushers],
        // rooms: room deletions and blocks, in the room's order.
        appends: [depots.rooms, depots.users],
      },
    },
  },
  routes: (['GET', 'POST', 'PUT', 'DELETE'] as const).map((method) => ({ method, path: admin, function: 'synapseAdmin', operation: 'synapseAdmin' })),
} satisfies ModuleFragment;
