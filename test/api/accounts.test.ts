import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

describe('registration and login', () => {
  let runtime: LocalRuntime;
  let client: TestClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('accounts');
    client = new TestClient(runtime.httpUrl);
  });
  afterAll(() => runtime?.stop());

  it('registers with the dummy flow and authenticates the new token', async () => {
    const alice = await registerUser(client, 'alice');
    expect(alice.userId).toBe('@alice:localhost');
    const who = await alice.client.get('/_matrix/client/v3/account/whoami');
    expect(who.body).toEqual({ user_id: '@alice:localhost', device_id: alice.deviceId, is_guest: false });
  });
});
