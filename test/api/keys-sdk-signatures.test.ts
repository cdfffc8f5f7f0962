// Cross-signing as matrix-js-sdk's Rust crypto does it, against the server's signature checks: its
// bootstrap uploads master/self-signing/user-signing keys and then the self-signing key's signature
// on its own device; the server must verify that signature (real ed25519 over canonical JSON made
// by another implementation) and serve it in /keys/query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { until } from '../support/poll.ts';
import { quietSdk } from '../support/sdk.ts';
import { startCryptoClient, type CryptoClient } from '../support/crypto-sdk.ts';
import { v3 } from './keys-support.ts';

quietSdk('silent');

type Json = Record<string, unknown>;

describe('cross-signing bootstrap of the Rust crypto', () => {
  let runtime: LocalRuntime;
  let alice: CryptoClient;
  beforeAll(async () => {
    runtime = await startTestRuntime('keys-sdk-signatures');
    alice = await startCryptoClient(runtime.httpUrl, 'xsign');
  }, 120_000);
  afterAll(async () => {
    alice?.client.stopClient();
    await runtime?.stop();
  });

  it('uploads a self-signing signature on its device that the server verifies, stores and serves', { timeout: 120_000 }, async () => {
    const { userId, deviceId } = alice.user;
    const crypto = alice.client.getCrypto()!;
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: 'correct horse battery staple' });
      },
    });
    const upload = await alice.exchange((e) => e.path === '/keys/signatures/upload', 'signatures upload');
    expect(upload.status).toBe(200);
    expect(upload.response).toEqual({ failures: {} });

    const query = await alice.user.client.post<{ device_keys: Record<string, Record<string, Json>>; self_signing_keys: Record<string, Json> }>(
      `${v3}/keys/query`,
      { device_keys: { [userId]: [] } },
    );
    const selfSigning = query.body.self_signing_keys[userId] as { keys: Record<string, string> };
    const [sskId] = Object.keys(selfSigning.keys);
    const device = query.body.device_keys[userId]![deviceId] as { signatures: Record<string, Record<string, string>> };
    expect(Object.keys(device.signatures[userId]!).sort()).toEqual([sskId, `ed25519:${deviceId}`].sort());
    expect(await crypto.isCrossSigningReady()).toBe(true);
    // The SDK learns of the stored signature when it queries its own keys again (after /sync names
    // its own device list as changed), which happens after the upload answered.
    const status = await until(
      () => crypto.getDeviceVerificationStatus(userId, deviceId),
      (s) => s?.crossSigningVerified === true,
      'the SDK to see its device as cross-signed',
    );
    expect(status?.crossSigningVerified).toBe(true);
  });
});
