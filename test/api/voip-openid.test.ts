// GET /voip/turnServer (no TURN configured: Synapse's empty object) and POST
// /user/{userId}/openid/request_token (a random token, only its hash stored, with a TTL).
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lib/core/aws-clients.ts';
import { tableName } from '../../lib/core/environment.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { openIdTokenOwner, OPENID_TOKEN_LIFETIME_SECONDS } from '../../lib/matrix/openid/tokens.ts';
import { hashAccessToken } from '../../lib/matrix/passwords.ts';
import { openIdTokens } from '../../lib/matrix/submissions/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const u = encodeURIComponent;

async function openIdItemCount(): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: tableName(), ConsistentRead: true, ExclusiveStartKey: start }));
    count += (page.Items ?? []).filter((item) => String(item.pk).startsWith('openIdTokens#')).length;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

describe('voip and openid', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('voip-openid');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('has no TURN server to offer', async () => {
    // Unchecked: the spec's 200 schema describes credentials only; with no TURN configured Synapse
    // answers 200 {} (its voip.py), which matrix-js-sdk reads as "no TURN servers". Checked here exactly.
    const res = await alice.client.get(`${v3}/voip/turnServer`, { unchecked: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expectError(await anonymous.get(`${v3}/voip/turnServer`), 401, 'M_MISSING_TOKEN');
  });

  it('issues an OpenID token, storing only its hash, for an hour', async () => {
    const before = Date.now();
    const res = await alice.client.post<{ access_token: string; token_type: string; matrix_server_name: string; expires_in: number }>(
      `${v3}/user/${u(alice.userId)}/openid/request_token`,
      {},
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', matrix_server_name: 'localhost', expires_in: OPENID_TOKEN_LIFETIME_SECONDS });
    expect(Buffer.from(res.body.access_token, 'base64url').length).toBe(32);
    expect(await openIdTokenOwner(res.body.access_token)).toBe(alice.userId);
    expect(await openIdTokenOwner('not-a-token')).toBeUndefined();
    // Stored under its hash only; it dies when its hour is up.
    const stored = await openIdTokens.key(hashAccessToken(res.body.access_token)).get({ consistent: true });
    expect(stored?.expiresTs).toBeGreaterThanOrEqual(before + OPENID_TOKEN_LIFETIME_SECONDS * 1000);
    expect(await openIdTokens.key(res.body.access_token).get({ consistent: true })).toBeUndefined();
    expect(await openIdTokenOwner(res.body.access_token, stored!.expiresTs!)).toBeUndefined();
    // The item carries the table's TTL attribute (epoch seconds), so DynamoDB removes it later.
    const page = await documentClient().send(new ScanCommand({ TableName: tableName(), ConsistentRead: true }));
    const item = (page.Items ?? []).find((i) => i.pk === `openIdTokens#${hashAccessToken(res.body.access_token)}`);
    expect(item?.expiresAt).toBe(Math.ceil(stored!.expiresTs! / 1000));
    // Each request gets a new token.
    const again = await alice.client.post<{ access_token: string }>(`${v3}/user/${u(alice.userId)}/openid/request_token`, {});
    expect(again.body.access_token).not.toBe(res.body.access_token);
  });

  it("refuses a token for someone else, bad bodies and missing tokens, and stores nothing then", async () => {
    const count = await openIdItemCount();
    expectError(await alice.client.post(`${v3}/user/${u(bob.userId)}/openid/request_token`, {}), 403, 'M_FORBIDDEN');
    expectError(await alice.client.post(`${v3}/user/${u(alice.userId)}/openid/request_token`, [1]), 400, 'M_BAD_JSON');
    expectError(await alice.client.post(`${v3}/user/${u(alice.userId)}/openid/request_token`, undefined, { rawBody: '{' }), 400, 'M_NOT_JSON');
    expectError(await anonymous.post(`${v3}/user/${u(alice.userId)}/openid/request_token`, {}), 401, 'M_MISSING_TOKEN');
    expect(await openIdItemCount()).toBe(count);
  });
});
