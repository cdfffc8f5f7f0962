// End-to-end encryption keys: POST /keys/upload, /keys/query, /keys/claim, GET /keys/changes,
// cross-signing keys and signatures (lib/matrix/keys/requests.ts).
// Uploads and claims go through the users depot (keys topology); queries read the PStates.
import { json } from '../../lib/http/operation.ts';
import { claimKeys } from '../../lib/matrix/keys/claim.ts';
import { queryKeys } from '../../lib/matrix/keys/query.ts';
import {
  claimKeysRequest,
  crossSigningRequest,
  keysChanges,
  queryKeysRequest,
  signaturesRequest,
  uploadCrossSigning,
  uploadKeys,
  uploadKeysRequest,
  uploadSignatures,
} from '../../lib/matrix/keys/requests.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('keys', {
  uploadCrossSigningSignatures: operation({ auth: 'user', body: signaturesRequest }, async ({ requester, body }) => json(await uploadSignatures(requester.userId, body))),
  uploadCrossSigningKeys: operation({ auth: 'user', body: crossSigningRequest }, async ({ requester, body }) => {
    await uploadCrossSigning(requester.userId, body);
    return json({});
  }),
  uploadKeys: operation({ auth: 'user', body: uploadKeysRequest }, async ({ requester, body }) => json(await uploadKeys(requester, body))),
  queryKeys: operation({ auth: 'user', body: queryKeysRequest }, async ({ requester, body }) => json(await queryKeys(requester.userId, body.device_keys))),
  claimKeys: operation({ auth: 'user', body: claimKeysRequest }, async ({ requester, body }) => json(await claimKeys(requester.userId, body.one_time_keys))),
  getKeysChanges: operation({ auth: 'user' }, async ({ requester, request }) => json(await keysChanges(requester.userId, request.query))),
});
