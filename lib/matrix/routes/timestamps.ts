// Jumping to a date: the event closest to a timestamp (lib/matrix/timeline/by-timestamp.ts).
import type { ModuleFragment } from '../../core/module.ts';

export const timestampsRoutes = {
  // Served by the roomNavigation function, declared in room-navigation.ts.
  functions: {},
  routes: [{ method: 'GET', path: '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event', function: 'roomNavigation', operation: 'getEventByTimestamp' }],
} satisfies ModuleFragment;
