// Features Axon does not offer (URL previews, refresh tokens, registration tokens), declared so
// that each answers as Synapse does without them (lib/matrix/unoffered/features.ts). No state.
import type { ModuleFragment } from '../../core/module.ts';

export const unofferedRoutes = {
  functions: {
    unofferedFeatures: {
      entry: 'functions/http/unoffered-features.ts',
      description: 'URL previews, refresh tokens, registration tokens: not offered, answered as Synapse without them',
    },
  },
  routes: [
    { method: 'GET', path: '/_matrix/media/v3/preview_url', function: 'unofferedFeatures', operation: 'getUrlPreview' },
    { method: 'GET', path: '/_matrix/client/v1/media/preview_url', function: 'unofferedFeatures', operation: 'getUrlPreviewAuthed' },
    { method: 'POST', path: '/_matrix/client/v3/refresh', function: 'unofferedFeatures', operation: 'refresh' },
    {
      method: 'GET',
      path: '/_matrix/client/v1/register/m.login.registration_token/validity',
      function: 'unofferedFeatures',
      operation: 'registrationTokenValidity',
    },
  ],
} satisfies ModuleFragment;
