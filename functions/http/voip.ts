// GET /voip/turnServer. Axon runs no TURN server and is configured with none: like Synapse without
// `turn_uris`, it answers 200 with an empty object, which clients read as "no TURN; use STUN/direct".
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';

export const voipOperations = {
  getTurnServer: operation({ auth: 'user' }, () => json({})),
} satisfies Record<string, DeclaredOperation>;
