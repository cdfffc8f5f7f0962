// VoIP: TURN servers for calls. None is configured, so the answer is Synapse's then: an empty object.
import type { ModuleFragment } from '../../core/module.ts';

export const voipRoutes = {
  // Served by the accountServices function, declared in account-services.ts.
  functions: {},
  routes: [{ method: 'GET', path: '/_matrix/client/v3/voip/turnServer', function: 'accountServices', operation: 'getTurnServer' }],
} satisfies ModuleFragment;
