// Room summaries and space hierarchies (lib/matrix/spaces): reads only.
import type { ModuleFragment } from '../../core/module.ts';

const v1 = '/_matrix/client/v1';

export const spacesRoutes = {
  functions: {
    spaces: {
      entry: 'functions/http/spaces.ts',
      description: 'Room summaries and space hierarchies',
      access: { reads: ['accessTokens', 'roomInfo', 'roomState', 'memberRooms', 'roomAliases'] },
    },
  },
  routes: [
    { method: 'GET', path: `${v1}/room_summary/{roomIdOrAlias}`, function: 'spaces', operation: 'getRoomSummary' },
    { method: 'GET', path: `${v1}/rooms/{roomId}/hierarchy`, function: 'spaces', operation: 'getSpaceHierarchy' },
  ],
} satisfies ModuleFragment;
