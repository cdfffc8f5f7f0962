// Notification counts (rooms topology + ephemeral fold → /sync unread_notifications), the
// notifications list and pushers.
import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, memberRooms, notificationCounts, pushRules, pushers, pushkeyUsers, roomInfo, roomMembers, roomNotificationTally, roomState, roomTimeline } from '../pstates.ts';

/** What the rooms topology touches to count notifications: add to its access. */
export const roomsTopologyNotificationAccess = {
  reads: [pushRules, notificationCounts, roomNotificationTally],
  writes: [notificationCounts, roomNotificationTally],
} as const;

/** What the ephemeral fold touches when receipts clear (or recount) counts: add to its access. */
export const ephemeralTopologyNotificationAccess = {
  reads: [notificationCounts, roomNotificationTally, roomTimeline, roomInfo, roomMembers, roomState, pushRules],
  writes: [notificationCounts],
} as const;

/** What /sync reads for unread_notifications: add to its access. */
export const syncNotificationAccess = { reads: [notificationCounts, roomNotificationTally] } as const;

const v3 = '/_matrix/client/v3';

export const notificationsRoutes = {
  functions: {
    notifications: {
      entry: 'functions/http/notifications.ts',
      description: 'GET /notifications (evaluated at read time over recent events); GET /pushers and POST /pushers/set (stored through the users depot, no gateway is called)',
      access: {
        reads: [accessTokens, memberRooms, roomTimeline, roomInfo, roomMembers, roomState, pushRules, notificationCounts, pushers],
        appends: [depots.users],
      },
    },
    pushersTopology: {
      entry: 'functions/streams/pushers.ts',
      description: 'Applies pusher commands from the users depot, exactly once, in order per user',
      access: { reads: [pushers, pushkeyUsers], writes: [pushers, pushkeyUsers] },
    },
  },
  routes: [
    { method: 'GET', path: `${v3}/notifications`, function: 'notifications', operation: 'getNotifications' },
    { method: 'GET', path: `${v3}/pushers`, function: 'notifications', operation: 'getPushers' },
    { method: 'POST', path: `${v3}/pushers/set`, function: 'notifications', operation: 'postPusher' },
  ],
  topologies: [
    { name: 'pushers', kind: 'stream', depot: 'users', function: 'pushersTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 8 },
  ],
} satisfies ModuleFragment;
