// `tsx bin/bundle-service.ts <service> <out-dir>`: one of the module's services as one ES module
// (`<out-dir>/service.mjs`, with its source map) that plain Node runs — what the service's container
// image holds (services/Dockerfile runs this in its build stage). The same code as
// `tsx bin/axon-service.ts <service>`: its entry module's definition run by lib/http/service-main.ts.
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { axon } from '../lib/matrix/module.ts';

const root = resolve(import.meta.dirname, '..');

/** Lets the ESM bundle load CommonJS dependencies that call `require` (as the functions' bundles do). */
const esmRequireBanner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface ServiceBundle {
  file: string;
  /** What the bundle still imports at run time (esbuild's metafile): Node builtins only, else it would not run alone. */
  externalImports: string[];
}

export async function bundleService(name: string, outDir: string): Promise<ServiceBundle> {
  const decl = axon.services?.[name];
  if (!decl) throw new Error(`module "${axon.name}" declares no service "${name}"`);
  const outfile = resolve(outDir, 'service.mjs');
  const result = await build({
    stdin: {
      contents: [
        `import { ${decl.exportName ?? 'service'} as definition } from './${decl.entry}';`,
        `import { runService } from './lib/http/service-main.ts';`,
        `await runService(definition());`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: `${name}-service-main.ts`,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: esmRequireBanner },
    // ws loads these native accelerators when installed, and works without them.
    external: ['bufferutil', 'utf-8-validate'],
    minify: true,
    sourcemap: true,
    outfile,
    logLevel: 'warning',
    metafile: true,
  });
  const externalImports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  return { file: outfile, externalImports: [...new Set(externalImports)].sort() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, outDir] = process.argv.slice(2);
  if (!name || !outDir) {
    console.error(`usage: tsx bin/bundle-service.ts <${Object.keys(axon.services ?? {}).join('|')}> <out-dir>`);
    process.exit(2);
  }
  console.log((await bundleService(name, outDir)).file);
}
