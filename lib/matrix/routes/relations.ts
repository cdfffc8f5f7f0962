// Event relationships: relations of an event and the room's threads (/_matrix/client/v1). The
// indexes they read (relations, threadRoots) are written by the rooms topology.
import type { ModuleFragment } from '../../core/module.ts';
import { latestEdits, relations, threadRoots } from '../relations/pstates.ts';
import { accessTokens, eventLocations, memberRooms, membershipHistory, roomInfo, roomState, roomTimeline } from '../pstates.ts';

const v1 = '/_matrix/client/v1';

/** The relation indexes the rooms topology maintains (its access declaration includes them). */
export const relationIndexPStates = [relations, threadRoots, latestEdits];

export const relationsRoutes = {
  functions: {
    relations: {
      entry: 'functions/http/relations.ts',
      description: 'Child events of an event (relations) and thread roots',
      // Its answers carry no bundled edits (lib/matrix/relations/read.ts), so latestEdits is not read.
      access: { reads: [accessTokens, roomInfo, memberRooms, membershipHistory, roomState, roomTimeline, eventLocations, relations, threadRoots] },
    },
  },
  routes: [
    { method: 'GET', path: `${v1}/rooms/{roomId}/relations/{eventId}`, function: 'relations', operation: 'getRelatingEvents' },
    { method: 'GET', path: `${v1}/rooms/{roomId}/relations/{eventId}/{relType}`, function: 'relations', operation: 'getRelatingEventsWithRelType' },
    {
      method: 'GET',
      path: `${v1}/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}`,
      function: 'relations',
      operation: 'getRelatingEventsWithRelTypeAndEventType',
    },
    { method: 'GET', path: `${v1}/rooms/{roomId}/threads`, function: 'relations', operation: 'getThreadRoots' },
  ],
} satisfies ModuleFragment;
