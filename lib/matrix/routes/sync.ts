import type { ModuleFragment } from '../../core/module.ts';
import { syncNotificationAccess } from './notifications.ts';
import { depots } from '../depots.ts';
import { accessTokens, accountData, accountDataChanges, connectionOwners, connections, deviceListChanges, fallbackKeys, filters, memberRooms, membershipHistory, oneTimeKeys, presence, pushRules, roomEphemeral, roomInfo, roomMembers, roomOnlineMembers, roomReceipts, roomState, roomTimeline, signatureChanges, syncWake, syncWatermarks, toDeviceInbox } from '../pstates.ts';
import { latestEdits, relations, threadRoots } from '../relations/pstates.ts';

/** What the rooms topology touches for sync (watermarks, wake-ups): add to its access. */
export const roomsTopologySyncAccess = {
  reads: [syncWatermarks, syncWake, roomOnlineMembers],
  writes: [syncWatermarks, syncWake, roomOnlineMembers],
} as const;

/** What the userData topology touches for sync (watermarks, account data positions, wake-ups). */
export const userDataTopologySyncAccess = {
  reads: [syncWatermarks, accountDataChanges],
  writes: [syncWatermarks, accountDataChanges, syncWake],
} as const;

/**
 * What a topology needs to tell connections to catch up over HTTP (lib/matrix/push/sync-needed.ts):
 * the user's connections, and forgetting gone ones. Spread into the keys and userData topologies.
 */
export const syncNeededPushAccess = {
  reads: [connections],
  writes: [connections, connectionOwners],
  pushes: true,
} as const;

export const syncRoutes = {
  functions: {
    sync: {
      entry: 'functions/http/sync.ts',
      description: 'GET /sync: initial and incremental sync, long-polling on a per-user wake item',
      // Long-polls wait up to 25 s; API Gateway's integration limit is 30 s.
      timeoutSeconds: 30,
      access: {
        reads: [
          accessTokens,
          syncWatermarks,
          syncWake,
          memberRooms,
          roomInfo,
          roomTimeline,
          roomState,
          roomMembers,
          membershipHistory,
          accountData,
          accountDataChanges,
          pushRules,
          filters,
          // typing, receipts and presence (lib/matrix/ephemeral/sync.ts)
          roomEphemeral,
          roomReceipts,
          presence,
          // key counts and device-list changes (lib/matrix/keys/sync.ts)
          oneTimeKeys,
          fallbackKeys,
          deviceListChanges,
          signatureChanges,
          toDeviceInbox,
          // bundled aggregations on timelines (lib/matrix/relations/bundle.ts)
          threadRoots,
          latestEdits,
          relations,
          // unread_notifications (lib/matrix/notifications/sync.ts)
          ...syncNotificationAccess.reads,
        ],
        writes: [syncWake, roomOnlineMembers],
        // set_presence (lib/matrix/ephemeral/submit.ts refreshPresence); to-device acknowledgements (lib/matrix/keys/sync.ts)
        appends: [depots.ephemeral, depots.users],
      },
    },
  },
  routes: [{ method: 'GET', path: '/_matrix/client/v3/sync', function: 'sync', operation: 'sync' }],
} satisfies ModuleFragment;
