// VoIP: TURN servers for calls. None is configured, so the answer is Synapse's then: an empty object.
import type { ModuleFragment } from '../../core/module.ts';

export const voipRoutes = {
  functions: {
    voip: {
      entry: 'functions/http/voip.ts',
      description: 'TURN server credentials for VoIP (none configured)',
      access: { reads: ['accessTokens'] },
    },
  },
  routes: [{ method: 'GET', path: '/_matrix/client/v3/voip/turnServer', function: 'voip', operation: 'getTurnServer' }],
} satisfies ModuleFragment;
