import type { Access, ModuleFragment } from '../../core/module.ts';
import { SYNC_SERVICE } from '../sync/notices.ts';
import { syncNotificationAccess } from './notifications.ts';
import { depots } from '../depots.ts';
import { accessTokens, accountData, accountDataChanges, connectionOwners, connections, deviceListChanges, eventLocations, fallbackKeys, filters, memberRooms, membershipHistory, oneTimeKeys, presence, pushRules, roomEphemeral, roomInfo, roomMembers, roomOnlineMembers, roomReceipts, roomState, roomTimeline, signatureChanges, syncWake, syncWatermarks, toDeviceInbox } from '../pstates.ts';
import { latestEdits, relations, threadRoots } from '../relations/pstates.ts';

/** Whoever wakes long-polls (lib/matrix/sync/wake.ts `wakeUsers`) tells the sync service: add to its access. */
export const wakesLongPolls = [SYNC_SERVICE] as const;

/** What the rooms topology touches for sync (watermarks, wake-ups): add to its access. */
export const roomsTopologySyncAccess = {
  reads: [syncWatermarks, syncWake, roomOnlineMembers],
  writes: [syncWatermarks, syncWake, roomOnlineMembers],
  notifies: wakesLongPolls,
} as const;

/** What the userData topology touches for sync (watermarks, account data positions, wake-ups). */
export const userDataTopologySyncAccess = {
  reads: [syncWatermarks, accountDataChanges],
  writes: [syncWatermarks, accountDataChanges, syncWake],
  notifies: wakesLongPolls,
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

/** What a sync pass reads and a long-poll writes, on Lambda and in the sync service alike. */
export const syncAccess = {
  reads: [
    accessTokens,
    syncWatermarks,
    syncWake,
    memberRooms,
    roomInfo,
    roomTimeline,
    roomState,
    // the state a later event replaced, for the state before a window (lib/matrix/sync/state.ts)
    eventLocations,
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
} satisfies Access;

export const syncRoutes = {
  functions: {
    sync: {
      entry: 'functions/http/sync.ts',
      description: 'GET /sync: initial and incremental sync, long-polling on a per-user wake item',
      // Long-polls wait up to 25 s; API Gateway's integration limit is 30 s.
      timeoutSeconds: 30,
      access: syncAccess,
    },
  },
  services: {
    [SYNC_SERVICE]: {
      entry: 'services/sync.ts',
      description: 'GET /sync: long-polls held by a long-lived process, woken by notices (lib/matrix/sync/service)',
      access: syncAccess,
      // A waiting poll holds no DynamoDB reads, only its socket and a timer: ~100 KB each, and an
      // idle one answered at its timeout ~4.5 ms of CPU (`npm run bench -- longpoll-capacity`, README).
      cpu: 1024,
      memoryMb: 2048,
      timeoutSeconds: 30,
      scaling: { minTasks: 1, maxTasks: 20, openRequestsPerTask: 8000, cpuPercent: 60 },
    },
  },
  routes: [{ method: 'GET', path: '/_matrix/client/v3/sync', function: 'sync', operation: 'sync', service: SYNC_SERVICE }],
} satisfies ModuleFragment;
