// Notification counts (rooms topology + ephemeral fold → /sync unread_notifications), the
// notifications list and pushers.
import type { ModuleFragment } from '../../core/module.ts';

/** What the rooms topology touches to count notifications: add to its access. */
export const roomsTopologyNotificationAccess = {
  reads: ['pushRules', 'notificationCounts'],
  writes: ['notificationCounts'],
} as const;

/** What the ephemeral fold touches when receipts clear (or recount) counts: add to its access. */
export const ephemeralTopologyNotificationAccess = {
  reads: ['notificationCounts', 'roomTimeline', 'roomInfo', 'roomMembers', 'roomState', 'pushRules'],
  writes: ['notificationCounts'],
} as const;

/** What /sync reads for unread_notifications: add to its access. */
export const syncNotificationAccess = { reads: ['notificationCounts'] } as const;

export const notificationsRoutes = {
  functions: {},
  routes: [],
  topologies: [],
} satisfies ModuleFragment;
