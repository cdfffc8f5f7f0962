// GET /_matrix/client/versions, the .well-known files and GET /_matrix/client/v1/auth_metadata;
// and the features Axon does not offer (./unoffered-features.ts), which need no state either.
import { json } from '../../lib/http/operation.ts';
import { noAuthMetadata, noSupportInformation, versionsResponse, wellKnownClient } from '../../lib/matrix/discovery.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { unofferedOperations } from './unoffered-features.ts';

export const handler = matrixFunction('discovery', {
  getVersions: operation({ auth: 'none' }, () => json(versionsResponse())),
  getWellknown: operation({ auth: 'none' }, ({ request }) =>
    json(wellKnownClient(process.env.AXON_PUBLIC_BASE_URL ?? `https://${request.headers['host'] ?? 'localhost'}`, process.env.AXON_WS_URL)),
  ),
  getWellknownSupport: operation({ auth: 'none' }, () => {
    throw noSupportInformation();
  }),
  getAuthMetadata: operation({ auth: 'none' }, () => {
    throw noAuthMetadata();
  }),
  ...unofferedOperations,
});
