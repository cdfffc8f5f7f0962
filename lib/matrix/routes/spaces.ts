// Room summaries and space hierarchies (lib/matrix/spaces): reads only.
import type { ModuleFragment } from '../../core/module.ts';

const v1 = '/_matrix/client/v1';

export const spacesRoutes = {
  // Served by the roomNavigation function, declared in room-navigation.ts.
  functions: {},
  routes: [
    { method: 'GET', path: `${v1}/room_summary/{roomIdOrAlias}`, function: 'roomNavigation', operation: 'getRoomSummary' },
    { method: 'GET', path: `${v1}/rooms/{roomId}/hierarchy`, function: 'roomNavigation', operation: 'getSpaceHierarchy' },
  ],
} satisfies ModuleFragment;
