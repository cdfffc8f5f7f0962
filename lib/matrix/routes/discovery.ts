import type { ModuleFragment } from '../../core/module.ts';

export const discoveryRoutes = {
  functions: {
    discovery: { entry: 'functions/http/discovery.ts', description: 'Server discovery: versions, well-known, authentication API discovery' },
    unrecognized: { entry: 'functions/http/unrecognized.ts', description: 'Answers unknown paths and wrong methods' },
  },
  routes: [
    { method: 'GET', path: '/_matrix/client/versions', function: 'discovery', operation: 'getVersions' },
    { method: 'GET', path: '/.well-known/matrix/client', function: 'discovery', operation: 'getWellknown' },
    { method: 'GET', path: '/.well-known/matrix/support', function: 'discovery', operation: 'getWellknownSupport' },
    { method: 'GET', path: '/_matrix/client/v1/auth_metadata', function: 'discovery', operation: 'getAuthMetadata' },
  ],
} satisfies ModuleFragment;
