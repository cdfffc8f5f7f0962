// GET /admin/whois/{userId}: oneself always, anyone for a server admin, 403 otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../lib/core/pstate/index.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { users } from '../../lib/matrix/pstates.ts';
import { loginUser, registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const whois = (userId: string) => `/_matrix/client/v3/admin/whois/${encodeURIComponent(userId)}`;
type WhoIs = { user_id: string; devices: Record<string, { sessions: { connections: { ip?: string; last_seen?: number }[] }[] }> };

describe('admin whois', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let admin: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('admin');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, admin] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
    // No API makes admins (Synapse uses a config or its admin API): set the flag as an operator would.
    await commit([users.key(admin.userId).field('admin').set(true)]);
  });
  afterAll(() => runtime?.stop());

  it("shows a user their own devices with where and when they were last seen", async () => {
    const second = await loginUser(anonymous, alice.userId);
    const res = await alice.client.get<WhoIs>(whois(alice.userId));
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(alice.userId);
    expect(Object.keys(res.body.devices).sort()).toEqual([alice.deviceId, second.deviceId].sort());
    const [connection] = res.body.devices[alice.deviceId]!.sessions[0]!.connections;
    expect(connection!.ip).toBeTruthy();
    expect(connection!.last_seen).toBeGreaterThan(0);
  });

  it("lets a server admin look anyone up", async () => {
    const res = await admin.client.get<WhoIs>(whois(bob.userId));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.devices)).toEqual([bob.deviceId]);
  });

  it("refuses others, remote users, bad ids and missing tokens", async () => {
    expectError(await bob.client.get(whois(alice.userId)), 403, 'M_FORBIDDEN');
    expectError(await admin.client.get(whois('@someone:elsewhere.example')), 400, 'M_UNKNOWN');
    expectError(await admin.client.get(whois('not-an-id')), 400, 'M_INVALID_PARAM');
    expectError(await anonymous.get(whois(alice.userId)), 401, 'M_MISSING_TOKEN');
  });
});
