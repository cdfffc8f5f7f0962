// Axon's module: the Matrix homeserver declared as depots, PStates, topologies and routes.
// The CDK stack and the local runtime are both built from this one value.
import { defineModule } from '../core/module.ts';

const clientV3 = '/_matrix/client/v3';

export const axon = defineModule({
  name: 'axon',
  functions: {
    discovery: { entry: 'functions/http/discovery.ts', description: 'Server discovery: versions, well-known' },
    unrecognized: { entry: 'functions/http/unrecognized.ts', description: 'Answers unknown paths and wrong methods' },
  },
  depots: [
    { name: 'rooms', partitionKey: 'room id', shards: 2 },
    { name: 'users', partitionKey: 'user id', shards: 1 },
    { name: 'ephemeral', partitionKey: 'room id or user id', shards: 1 },
  ],
  pstates: [],
  topologies: [],
  http: {
    routes: [
      { method: 'GET', path: '/_matrix/client/versions', function: 'discovery', operation: 'getVersions' },
      { method: 'GET', path: '/.well-known/matrix/client', function: 'discovery', operation: 'getWellknown' },
    ],
    fallback: 'unrecognized',
    cors: {
      // The spec asks every Client-Server endpoint to allow any origin.
      allowOrigins: ['*'],
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowHeaders: ['X-Requested-With', 'Content-Type', 'Authorization'],
      maxAgeSeconds: 86400,
    },
  },
  websocket: {
    routes: [],
    routeSelectionField: 'action',
  },
});

export { clientV3 };
