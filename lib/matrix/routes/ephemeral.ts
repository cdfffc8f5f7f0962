// Typing, presence, receipts and read markers, and the microbatch topology that aggregates them
// from the ephemeral depot (ARCHITECTURE §4, §7).
import type { ModuleFragment } from '../../core/module.ts';
import { ephemeralTopologyNotificationAccess } from './notifications.ts';
import { depots } from '../depots.ts';
import { accessTokens, connectionOwners, connections, eventLocations, memberRooms, presence, rateLimits, roomEphemeral, roomMembers, roomOnlineMembers, roomReceipts, syncWake, syncWatermarks } from '../pstates.ts';
import { wakesLongPolls } from './sync.ts';

const v3 = '/_matrix/client/v3';

export const ephemeralRoutes = {
  functions: {
    ephemeral: {
      entry: 'functions/http/ephemeral.ts',
      description: 'Typing, presence, receipts and read markers: checked, then appended to the ephemeral depot',
      access: {
        reads: [accessTokens, roomMembers, memberRooms, eventLocations, presence, rateLimits],
        writes: [rateLimits],
        appends: [depots.ephemeral, depots.users],
      },
    },
    ephemeralTopology: {
      entry: 'functions/batch/ephemeral.ts',
      description: 'Folds typing, receipt and presence batches into room, receipt and user items; pushes once per connection per batch',
      access: {
        reads: [roomEphemeral, roomReceipts, presence, memberRooms, roomOnlineMembers, connections, syncWake, ...ephemeralTopologyNotificationAccess.reads],
        writes: [roomEphemeral, roomReceipts, presence, syncWatermarks, syncWake, connections, connectionOwners, ...ephemeralTopologyNotificationAccess.writes],
        pushes: true,
        notifies: wakesLongPolls,
      },
    },
  },
  routes: [
    { method: 'PUT', path: `${v3}/rooms/{roomId}/typing/{userId}`, function: 'ephemeral', operation: 'setTyping' },
    { method: 'PUT', path: `${v3}/presence/{userId}/status`, function: 'ephemeral', operation: 'setPresence' },
    { method: 'GET', path: `${v3}/presence/{userId}/status`, function: 'ephemeral', operation: 'getPresence' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`, function: 'ephemeral', operation: 'postReceipt' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/read_markers`, function: 'ephemeral', operation: 'setReadMarker' },
  ],
  topologies: [
    // A window of 200 ms gathers a burst into one batch; up to 1,000 records per batch. A batch
    // touching more than ~95 distinct rooms, receipts or users cannot commit in one transaction:
    // the mapping bisects it (bisect on function error) until the halves fit.
    { name: 'ephemeral', kind: 'microbatch', depot: 'ephemeral', function: 'ephemeralTopology', batchSize: 1000, batchingWindowMs: 200, maxRetries: 10 },
  ],
} satisfies ModuleFragment;
