// `npx cdk synth` exactly as a new user runs it from a fresh clone: through the CDK CLI (which
// resolves a region and so concrete ARNs, unlike the in-process tests), with AWS_REGION set and no
// credentials at all. One CLI run (it bundles every function: about a minute on a loaded machine);
// the other environments and partitions are synthesized in-process (nag.test.ts, quotas.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axon } from '../../lib/matrix/module.ts';
import { projectRoot } from '../../lib/stacks/functions.ts';

/** Lambda's deployment package quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
const LAMBDA_PACKAGE = { zippedBytes: 50 * 1024 * 1024, unzippedBytes: 250 * 1024 * 1024 };

/** The environment of a user who has never configured AWS: a region, no credentials, no profile. */
function freshUserEnvironment(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    // No instance metadata service to wait for (the CLI looks for credentials there too).
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, string> }> };

function sizes(dir: string): { unzipped: number; zipped: number } {
  let unzipped = 0;
  let zipped = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    unzipped += statSync(file).size;
    zipped += deflateRawSync(readFileSync(file)).length;
  }
  return { unzipped, zipped };
}

describe('npx cdk synth with AWS_REGION=eu-west-1 and no credentials', () => {
  const home = mkdtempSync(join(tmpdir(), 'axon-cli-home-'));
  // Inside the project, as the CLI's own default cdk.out is (bundles resolve from its node_modules).
  const outdir = join(projectRoot, 'cdk.out', `test-cli-${process.pid}`);
  let result: { stdout: string; stderr: string; code: number };
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    try {
      const { stdout, stderr } = await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
        cwd: projectRoot,
        env: freshUserEnvironment(home),
        maxBuffer: 64 * 1024 * 1024,
      });
      result = { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      result = { stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), code: e.code ?? 1 };
    }
  }, 300_000);

  const template = (): Template => JSON.parse(readFileSync(join(outdir, `${axon.name}.template.json`), 'utf8')) as Template;

  it('succeeds: every cdk-nag acknowledgement holds with the region the CLI resolves', () => {
    expect(result.stderr).not.toMatch(/AwsSolutions-\w+|Synthesis finished with errors/);
    expect(result.code).toBe(0);
  });

  it('synthesizes for the region AWS_REGION names', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { environment?: string }> };
    expect(manifest.artifacts[axon.name]?.environment).toBe('aws://unknown-account/eu-west-1');
    // The region is concrete in the template's ARNs (what broke the nag acknowledgements before).
    expect(JSON.stringify(template())).toContain(':eu-west-1:');
  });

  it(`bundles every function within Lambda's deployment package quotas (50 MB zipped, 250 MB unzipped)`, () => {
    const functions = Object.entries(template().Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path']);
    expect(functions.length).toBeGreaterThanOrEqual(Object.keys(axon.functions).length);
    for (const [id, fn] of functions) {
      const { unzipped, zipped } = sizes(join(outdir, fn.Metadata!['aws:asset:path']!));
      expect(unzipped, id).toBeGreaterThan(0);
      expect(unzipped, id).toBeLessThanOrEqual(LAMBDA_PACKAGE.unzippedBytes);
      expect(zipped, id).toBeLessThanOrEqual(LAMBDA_PACKAGE.zippedBytes);
    }
  });
});
