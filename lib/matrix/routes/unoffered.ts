// Features Axon does not offer (URL previews), declared so
// that each answers as Synapse does without them (lib/matrix/unoffered/features.ts). No state:
// the discovery function serves them.
import type { ModuleFragment } from '../../core/module.ts';

export const unofferedRoutes = {
  // Served by the discovery function, declared in discovery.ts.
  functions: {},
  routes: [
    { method: 'GET', path: '/_matrix/media/v3/preview_url', function: 'discovery', operation: 'getUrlPreview' },
    { method: 'GET', path: '/_matrix/client/v1/media/preview_url', function: 'discovery', operation: 'getUrlPreviewAuthed' },
  ],
} satisfies ModuleFragment;
