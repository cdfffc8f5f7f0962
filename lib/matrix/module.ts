// Axon's module: the Matrix homeserver declared as depots, PStates, topologies and routes.
// The CDK stack and the local runtime are both built from this one value. Each API area declares
// its functions, routes and topologies in its own fragment under ./routes/.
import { withoutEnhancedFanOut } from '../core/consumers.ts';
import { composeFragments, defineModule } from '../core/module.ts';
import { depots } from './depots.ts';
import { gatewayErrorBody } from './errors.ts';
import { relationPStates } from './relations/pstates.ts';
import { accountPStates, connectionPStates, crossSigningPStates, ephemeralPStates, keyBackupPStates, keysPStates, mediaPStates, notificationPStates, roomPStates, syncPStates, toDevicePStates } from './pstates.ts';
import { accountsRoutes } from './routes/accounts.ts';
import { directoryRoutes } from './routes/directory.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { ephemeralRoutes } from './routes/ephemeral.ts';
import { keysRoutes } from './routes/keys.ts';
import { mediaRoutes } from './routes/media.ts';
import { notificationsRoutes } from './routes/notifications.ts';
import { relationsRoutes } from './routes/relations.ts';
import { roomReadsRoutes } from './routes/room-reads.ts';
import { roomsRoutes } from './routes/rooms.ts';
import { searchRoutes } from './routes/search.ts';
import { syncRoutes } from './routes/sync.ts';
import { slidingSyncRoutes } from './routes/sliding-sync.ts';
import { slidingSyncPStates } from './sliding-sync/connection.ts';
import { threepidsRoutes } from './routes/threepids.ts';
import { userDataRoutes } from './routes/user-data.ts';
import { userDirectoryRoutes } from './routes/user-directory.ts';
import { voipRoutes } from './routes/voip.ts';
import { openIdRoutes } from './routes/openid.ts';
import { reportsRoutes } from './routes/reports.ts';
import { adminRoutes } from './routes/admin.ts';
import { synapseAdminRoutes } from './routes/synapse-admin.ts';
import { timestampsRoutes } from './routes/timestamps.ts';
import { spacesRoutes } from './routes/spaces.ts';
import { unofferedRoutes } from './routes/unoffered.ts';
import { accountServicesRoutes } from './routes/account-services.ts';
import { roomNavigationRoutes } from './routes/room-navigation.ts';
import { webSocketRoutes } from './routes/websocket.ts';
import { submissionPStates } from './submissions/pstates.ts';
import { registrationTokenPStates } from './registration-tokens/pstates.ts';

const fragments = composeFragments([
  discoveryRoutes,
  accountsRoutes,
  roomsRoutes,
  roomReadsRoutes,
  directoryRoutes,
  userDataRoutes,
  syncRoutes,
  slidingSyncRoutes,
  webSocketRoutes,
  ephemeralRoutes,
  userDirectoryRoutes,
  relationsRoutes,
  searchRoutes,
  keysRoutes,
  mediaRoutes,
  threepidsRoutes,
  notificationsRoutes,
  voipRoutes,
  openIdRoutes,
  reportsRoutes,
  adminRoutes,
  synapseAdminRoutes,
  timestampsRoutes,
  spacesRoutes,
  unofferedRoutes,
  accountServicesRoutes,
  roomNavigationRoutes,
]);

export interface AxonOptions {
  /**
   * Latency-critical topologies (rooms, and the user writes clients wait on: users, userData, keys)
   * read with enhanced fan-out: pushed ~70 ms after the write, each with its own 2 MB/s per shard,
   * for consumer-shard hours and data retrieved. Off (`-c enhancedFanOut=false`), every topology
   * polls (~1 s), and the users depot's five topologies share one standard consumer (its shards
   * serve two at most). Default on.
   */
  enhancedFanOut?: boolean;
}

/** The users depot's one consumer when its topologies get no enhanced fan-out. */
const usersDepotDispatch = { name: 'usersDepot', depot: 'users', function: 'usersDepotTopology', entry: 'functions/streams/users-depot.ts' };

/** Axon's module as a deployment configures it (the CDK app's context, `npm start`'s flags). */
export function axonModule(options: AxonOptions = {}) {
  const parts = options.enhancedFanOut === false ? withoutEnhancedFanOut(fragments, [usersDepotDispatch]) : fragments;
  return defineModule({
    name: 'axon',
    functions: parts.functions,
    depots: Object.values(depots),
    pstates: [...accountPStates, ...roomPStates, ...syncPStates, ...connectionPStates, ...ephemeralPStates, ...relationPStates, ...mediaPStates, ...keysPStates, ...toDevicePStates, ...keyBackupPStates, ...crossSigningPStates, ...notificationPStates, ...submissionPStates, ...registrationTokenPStates, ...slidingSyncPStates],
    topologies: parts.topologies,
    http: {
      routes: parts.routes,
      fallback: 'unrecognized',
      // Locally only: on AWS, API Gateway answers its own errors with {"message": ...} (README, Security).
      gatewayErrorBody,
      cors: {
        // The spec asks every Client-Server endpoint to allow any origin.
        allowOrigins: ['*'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        allowHeaders: ['X-Requested-With', 'Content-Type', 'Authorization'],
        maxAgeSeconds: 86400,
      },
    },
    websocket: {
      routes: parts.webSocketRoutes,
      routeSelectionField: 'action',
    },
    services: parts.services,
  });
}

/** Axon's module with its defaults (enhanced fan-out on). */
export const axon = axonModule();
