// Server-side search of room messages (POST /search, room_events): a bounded scan of the user's rooms.
import type { ModuleFragment } from '../../core/module.ts';
import { accessTokens, eventLocations, memberRooms, membershipHistory, roomInfo, roomState, roomTimeline } from '../pstates.ts';

export const searchRoutes = {
  functions: {
    search: {
      entry: 'functions/http/search.ts',
      description: 'POST /search over recent messages of the rooms the user is in',
      // eventLocations: a result's profile_info rewinds member events changed since (search/result-context.ts)
      access: { reads: [accessTokens, roomInfo, memberRooms, membershipHistory, roomState, roomTimeline, eventLocations] },
    },
  },
  routes: [{ method: 'POST', path: '/_matrix/client/v3/search', function: 'search', operation: 'search' }],
} satisfies ModuleFragment;
