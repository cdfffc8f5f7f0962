// `npm run admin` against a running local Axon: the first admin made with --direct (a command on
// the deployment's own users depot), then accounts and registration tokens through the admin API
// with that admin's token. The CLI runs as its own process, as an operator runs it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { loginUser, uniqueLocalpart } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** The CLI's JSON output; the child inherits this process's AXON_* variables (the test runtime's table, streams and engines). */
async function admin(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'bin', 'axon-admin.ts'), ...args], { cwd: root, env: process.env, timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function failure(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await admin(...args);
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
  throw new Error(`admin ${args.join(' ')} succeeded`);
}

describe('npm run admin', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let api: string[];
  beforeAll(async () => {
    runtime = await startTestRuntime('admin-cli');
    anonymous = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  it('makes the first admin straight through the users depot', async () => {
    const name = uniqueLocalpart('root');
    const made = await admin('create-user', name, '--admin', '--password', 'root-password', '--direct');
    expect(made).toEqual({ name: `@${name}:localhost`, admin: true });
    const session = await loginUser(anonymous, `@${name}:localhost`, 'root-password');
    api = ['--url', runtime.httpUrl, '--access-token', session.accessToken];
    // The admin API now answers this admin.
    expect((await session.client.request('GET', '/_synapse/admin/v1/server_version', undefined, { unchecked: true })).status).toBe(200);
  });

  it('manages accounts through the admin API', async () => {
    const name = uniqueLocalpart('carol');
    const created = await admin('create-user', name, '--displayname', 'Carol', ...api);
    expect(created).toMatchObject({ name: `@${name}:localhost`, displayname: 'Carol', admin: false });
    const generated = created.password as string;
    expect(generated.length).toBeGreaterThanOrEqual(20);
    const session = await loginUser(anonymous, name, generated);

    expect(await admin('make-admin', name, ...api)).toEqual({});
    expect(await admin('reset-password', name, '--password', 'carols-new-password', ...api)).toEqual({});
    expectError(await session.client.get('/_matrix/client/v3/account/whoami'), 401, 'M_UNKNOWN_TOKEN');
    const again = await loginUser(anonymous, name, 'carols-new-password');
    expect(await admin('deactivate', name, '--erase', ...api)).toEqual({ id_server_unbind_result: 'success' });
    expectError(await again.client.get('/_matrix/client/v3/account/whoami'), 401, 'M_UNKNOWN_TOKEN');
  });

  it('creates, lists and revokes registration tokens', async () => {
    const made = await admin('tokens', 'create', '--uses', '2', '--expires', '2099-01-01', ...api);
    expect(made).toMatchObject({ uses_allowed: 2, completed: 0, expiry_time: Date.parse('2099-01-01') });
    const named = await admin('tokens', 'create', '--token', 'cli-named', ...api);
    expect(named.token).toBe('cli-named');
    const listed = (await admin('tokens', 'list', '--valid', ...api)).registration_tokens as { token: string }[];
    expect(listed.map((t) => t.token).sort()).toEqual([made.token as string, 'cli-named'].sort());
    expect(await admin('tokens', 'revoke', 'cli-named', ...api)).toEqual({});
    const after = (await admin('tokens', 'list', ...api)).registration_tokens as { token: string }[];
    expect(after.map((t) => t.token)).toEqual([made.token]);
  });

  it('says what is wrong, with the Matrix error or the usage', async () => {
    const refused = await failure('tokens', 'revoke', 'no-such-token', ...api);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('404 M_NOT_FOUND');
    const noToken = await failure('deactivate', 'someone', '--url', runtime.httpUrl);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--access-token');
    const notAdmin = await failure('tokens', 'list', '--url', runtime.httpUrl, '--access-token', 'not-a-token');
    expect(notAdmin.stderr).toContain('401 M_UNKNOWN_TOKEN');
  });
});
