// Jumping to a date: the event closest to a timestamp (lib/matrix/timeline/by-timestamp.ts).
import type { ModuleFragment } from '../../core/module.ts';

export const timestampsRoutes = {
  functions: {
    timestamps: {
      entry: 'functions/http/timestamps.ts',
      description: 'The event closest to a timestamp in a room (history visibility applied)',
      access: { reads: ['accessTokens', 'roomInfo', 'memberRooms', 'membershipHistory', 'roomState', 'roomTimeline'] },
    },
  },
  routes: [{ method: 'GET', path: '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event', function: 'timestamps', operation: 'getEventByTimestamp' }],
} satisfies ModuleFragment;
