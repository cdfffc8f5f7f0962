// GET /_matrix/client/versions, the .well-known files and GET /_matrix/client/v1/auth_metadata;
// and the features Axon does not offer (./unoffered-features.ts), which need no state either.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { unofferedOperations } from './unoffered-features.ts';
import { noAuthMetadata, noSupportInformation, versionsResponse, wellKnownClient } from '../../lib/matrix/discovery.ts';

export const handler = matrixFunction('discovery', {
  getVersions: () => json(versionsResponse()),
  getWellknown: (request) =>
    json(
      wellKnownClient(
        process.env.AXON_PUBLIC_BASE_URL ?? `https://${request.headers['host'] ?? 'localhost'}`,
        process.env.AXON_WS_URL,
      ),
    ),
  getWellknownSupport: () => {
    throw noSupportInformation();
  },
  getAuthMetadata: () => {
    throw noAuthMetadata();
  },
  ...unofferedOperations,
});
