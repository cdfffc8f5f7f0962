// Reporting content (lib/matrix/reports), and the submissions topology that files reports and
// OpenID tokens from the users depot (beside the accounts, user-data and keys topologies, own kinds only).
import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, eventLocations, memberRooms, membershipHistory, rateLimits, roomInfo, roomState, roomTimeline, users } from '../pstates.ts';
import { abuseReports, openIdTokens } from '../submissions/pstates.ts';

const v3 = '/_matrix/client/v3';

export const reportsRoutes = {
  functions: {
    reports: {
      entry: 'functions/http/reports.ts',
      description: 'Abuse reports of events, rooms and users',
      // What reading an event needs (history visibility), plus users for reported users.
      access: {
        reads: [accessTokens, rateLimits, users, roomInfo, memberRooms, membershipHistory, roomState, roomTimeline, eventLocations],
        writes: [rateLimits],
        appends: [depots.users],
      },
    },
    submissionsTopology: {
      entry: 'functions/streams/submissions.ts',
      description: 'Files OpenID tokens and abuse reports from the users depot',
      access: { writes: [openIdTokens, abuseReports] },
    },
  },
  routes: [
    { method: 'POST', path: `${v3}/rooms/{roomId}/report/{eventId}`, function: 'reports', operation: 'reportEvent' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/report`, function: 'reports', operation: 'reportRoom' },
    { method: 'POST', path: `${v3}/users/{userId}/report`, function: 'reports', operation: 'reportUser' },
  ],
  topologies: [
    { name: 'submissions', kind: 'stream', depot: 'users', function: 'submissionsTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 8 },
  ],
} satisfies ModuleFragment;
