// The import rules of the tree (test/structure/import-graph.test.ts holds the code to them; also
// `npx depcruise lib functions bin bench`). Type-only imports count: a layer that needs another's
// types depends on it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles between files: each file can be read knowing only what it imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-knows-no-matrix',
      comment: 'lib/core is the Rama-style runtime (depots, topologies, PStates); it knows nothing of Matrix nor of what runs on it.',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { path: '^(lib/(matrix|http|local|stacks)|functions|bin|bench)/' },
    },
    {
      name: 'matrix-knows-no-aws',
      comment: 'lib/matrix is the homeserver domain: it reaches AWS only through lib/core, never an SDK client or a stack.',
      severity: 'error',
      from: { path: '^lib/matrix/' },
      to: { path: '(^|/)node_modules/(@aws-sdk|@smithy|aws-cdk-lib|constructs)/|^lib/(local|stacks)/|^functions/|^bin/' },
    },
    {
      name: 'http-knows-no-matrix',
      comment: 'lib/http turns requests into declared operations and back; what a token, a refusal or an error body means is injected (HttpHooks), so it imports nothing of Matrix.',
      severity: 'error',
      from: { path: '^lib/http/' },
      to: { path: '^(lib/(matrix|local|stacks)|functions|services|bin|bench)/' },
    },
    {
      name: 'handlers-on-top',
      comment: 'Lambda handlers (functions/) are entry points: no library imports one.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
  },
};
