// GET /voip/turnServer. Axon runs no TURN server and is configured with none: like Synapse without
// `turn_uris`, it answers 200 with an empty object, which clients read as "no TURN; use STUN/direct".
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';

export const voipOperations = {
  getTurnServer: async (request) => {
    await authenticate(request);
    return json({});
  },
} satisfies Record<string, Operation>;
