import type { Access, ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, connectionOwners, connections, filters, memberRooms, membershipHistory, roomInfo, roomMembers, roomOnlineMembers, roomState, roomTimeline, syncWake, syncWatermarks } from '../pstates.ts';
import { latestEdits, relations, threadRoots } from '../relations/pstates.ts';

/**
 * What the rooms topology needs to push timeline events right after materialising them
 * (lib/matrix/push/timeline.ts): spread into its access.
 */
export const roomsTopologyPushAccess = {
  reads: [
    roomOnlineMembers,
    connections,
    connectionOwners,
    memberRooms,
    roomTimeline,
    roomState,
    // bundled aggregations (lib/matrix/relations/bundle.ts) and their visibility
    threadRoots,
    latestEdits,
    relations,
    membershipHistory,
  ],
  writes: [connections, connectionOwners],
  pushes: true,
} satisfies Access;

/** API Gateway gives up on a WebSocket route's integration after 29 s: its function stops there too. */
const webSocketTimeoutSeconds = 29;

export const webSocketRoutes = {
  functions: {
    wsConnect: {
      entry: 'functions/ws/connect.ts',
      description: 'WebSocket $connect: authenticates ?access_token=, registers the connection and the user as online',
      timeoutSeconds: webSocketTimeoutSeconds,
      access: {
        // filters: the optional ?filter= (an uploaded filter's id); roomInfo and roomTimeline: the
        // rooms cut and the floor of a reconnect's `since` (lib/matrix/push/session.ts)
        reads: [accessTokens, memberRooms, syncWatermarks, filters, roomInfo, roomTimeline],
        writes: [connections, connectionOwners, syncWake, roomOnlineMembers],
      },
    },
    wsDisconnect: {
      entry: 'functions/ws/disconnect.ts',
      description: 'WebSocket $disconnect: forgets the connection',
      timeoutSeconds: webSocketTimeoutSeconds,
      access: { reads: [connectionOwners], writes: [connections, connectionOwners] },
    },
    wsMessages: {
      entry: 'functions/ws/messages.ts',
      description: 'WebSocket client frames: ping, typing, presence, and an error frame for unknown actions',
      timeoutSeconds: webSocketTimeoutSeconds,
      access: {
        // accessTokens: every client message re-checks the token the connection was opened with
        reads: [connectionOwners, accessTokens, syncWake, memberRooms, roomMembers],
        writes: [connections, connectionOwners, syncWake, roomOnlineMembers],
        appends: [depots.ephemeral],
        pushes: true,
      },
    },
  },
  webSocketRoutes: [
    { route: '$connect', function: 'wsConnect' },
    { route: '$disconnect', function: 'wsDisconnect' },
    { route: 'ping', function: 'wsMessages' },
    { route: 'typing', function: 'wsMessages' },
    { route: 'presence', function: 'wsMessages' },
    { route: '$default', function: 'wsMessages' },
  ],
} satisfies ModuleFragment;
