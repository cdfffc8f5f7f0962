import type { ModuleFragment } from '../../core/module.ts';
import { eventLocations, filters, roomActivity, roomActivityBuilt, roomActivityMembers } from '../pstates.ts';
import { slidingSyncPositions } from '../sliding-sync/connection.ts';
import { syncAccess } from './sync.ts';

/** The paths clients speak to simplified sliding sync (MSC4186's unstable prefix; v4 is not final). */
export const SLIDING_SYNC_PATH = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';

export const slidingSyncRoutes = {
  functions: {
    slidingSync: {
      entry: 'functions/http/sliding-sync.ts',
      description: 'POST simplified sliding sync (MSC4186): lists by activity, room subscriptions, extensions; long-polls on the per-user wake item',
      // Long-polls wait up to 25 s; API Gateway's integration limit is 30 s.
      timeoutSeconds: 30,
      access: {
        ...syncAccess,
        // What /sync reads but uploaded filters (sliding sync names none) and the replaced state
        // events of a state before a window (its required_state is current state), the connection
        // positions (lib/matrix/sliding-sync/connection.ts), and the activity index with its
        // first-use build (lib/matrix/sliding-sync/activity.ts).
        reads: [...syncAccess.reads.filter((p) => p !== filters && p !== eventLocations), slidingSyncPositions, roomActivity, roomActivityBuilt, roomActivityMembers],
        writes: [...syncAccess.writes, slidingSyncPositions, roomActivity, roomActivityBuilt, roomActivityMembers],
      },
    },
  },
  routes: [{ method: 'POST', path: SLIDING_SYNC_PATH, function: 'slidingSync', operation: 'slidingSync' }],
} satisfies ModuleFragment;
