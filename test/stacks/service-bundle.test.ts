// What a service's container image runs (services/Dockerfile → bin/bundle-service.ts): one ES module
// that plain Node loads with nothing beside it — every dependency, the SDK included, inside (a
// container has no runtime SDK) — and that starts the service's host from its environment.
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleService } from '../../bin/bundle-service.ts';
import { axon } from '../../lib/matrix/module.ts';

// Outside the project: the bundle must not find the project's node_modules.
const outdir = mkdtempSync(join(tmpdir(), 'axon-service-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe.each(Object.keys(axon.services ?? {}))('bundling the %s service', (name) => {
  it('is one ES module whose only imports are Node builtins, and it starts from its environment', async () => {
    const { file, externalImports } = await bundleService(name, join(outdir, name));
    // ws's optional native accelerators are required inside a try, and it works without them.
    const runsAlone = new Set([...builtinModules, 'bufferutil', 'utf-8-validate']);
    for (const specifier of externalImports) expect(specifier.startsWith('node:') || runsAlone.has(specifier), specifier).toBe(true);
    // Every module loads; the host refuses to start without the WebSocket API it subscribes through.
    const run = spawnSync(process.execPath, [file], { cwd: outdir, env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('environment variable AXON_WS_URL is not set');
  }, 60_000);
});
