// Grants are enforced locally: every AWS SDK call a function makes in the local runtime is checked
// against the IAM statements the stack gives that function (lib/stacks/grants.ts) and refused the
// way AWS refuses it. Removing an access from a declaration makes the call it covered fail here,
// not only once deployed.
import { DynamoDBServiceException, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { addClientPlugin, dynamoClient, removeClientPlugin } from '../../lib/core/aws-clients.ts';
import type { Access, FunctionDecl, ModuleDecl } from '../../lib/core/module.ts';
import { localGrants } from '../../lib/local/iam/enforce.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { depots } from '../../lib/matrix/depots.ts';
import { axon } from '../../lib/matrix/module.ts';
import { accountData, transactionIds } from '../../lib/matrix/pstates.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { useTestEngines } from '../support/engines.ts';
import { TestClient } from '../support/matrix-client.ts';
import { until } from '../support/poll.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from '../api/rooms-support.ts';

/** `module` with one function's access changed (a grant taken away). */
function withAccess(module: ModuleDecl, fn: string, change: (access: Access) => Access): ModuleDecl {
  const decl = (module.functions as Record<string, FunctionDecl>)[fn]!;
  return { ...module, functions: { ...module.functions, [fn]: { ...decl, access: change(decl.access ?? {}) } } };
}

/** `module` with one service's access changed. */
function withServiceAccess(module: ModuleDecl, service: string, change: (access: Access) => Access): ModuleDecl {
  const decl = module.services![service]!;
  return { ...module, services: { ...module.services, [service]: { ...decl, access: change(decl.access ?? {}) } } };
}

describe('an SDK call outside the grants', () => {
  const env = useTestEngines('grants-sdk');
  const grants = localGrants({ module: axon, tableName: env.prefix, streamPrefix: env.prefix, webSocketApiId: 'local', webSocketStage: 'local' });
  beforeAll(() => {
    Object.assign(process.env, { AXON_DYNAMODB_ENDPOINT: env.dynamoEndpoint });
    addClientPlugin(grants.plugin);
  });
  afterAll(() => removeClientPlugin(grants.plugin));
  const get = (pk: string) => dynamoClient().send(new GetItemCommand({ TableName: env.prefix, Key: { pk: { S: pk }, sk: { S: '' } } }));

  it('is refused with the AccessDeniedException the SDK would throw, before any request is sent', async () => {
    const error = await grants.runAs('roomEvents', () => get('devices#@alice:localhost')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDBServiceException);
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
      message: expect.stringMatching(
        new RegExp(`^User: arn:aws:sts::000000000000:assumed-role/axon-roomEvents-role/roomEvents is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:[^:]+:000000000000:table/${env.prefix} because no identity-based policy allows the dynamodb:GetItem action$`),
      ),
    });
  });

  it("lets a topology's event source mapping read as its function: its stream when standard, its own consumer with enhanced fan-out", () => {
    const topology = (name: string) => axon.topologies.find((t) => t.name === name)!;
    expect(topology('rooms').consumer).toBe('enhanced');
    expect(() => grants.authorizeMapping(topology('rooms'))).not.toThrow();
    expect(() => grants.authorizeMapping(topology('pushers'))).not.toThrow();
    // Another function's role reads neither; a standard consumer's role may not subscribe.
    expect(() => grants.authorizeMapping({ ...topology('rooms'), function: 'roomEvents' })).toThrow(
      new RegExp(`axon-roomEvents-role/roomEvents is not authorized to perform: kinesis:SubscribeToShard on resource: arn:aws:kinesis:[^:]+:000000000000:stream/${env.prefix}-rooms/consumer/rooms:0 `),
    );
    expect(() => grants.authorizeMapping({ ...topology('pushers'), function: 'roomEvents' })).toThrow(/kinesis:GetRecords on resource: .*stream\/[^/]+-users /);
    expect(() => grants.authorizeMapping({ ...topology('pushers'), consumer: 'enhanced' })).toThrow(/axon-pushersTopology-role\/pushersTopology is not authorized to perform: kinesis:SubscribeToShard/);
  });

  it('inside the grants goes through (the table does not exist: DynamoDB Local answers), and outside any invocation is not checked', async () => {
    const inside = await grants.runAs('roomEvents', () => get('transactionIds#@alice:localhost')).catch((e: unknown) => e);
    expect((inside as Error).name).toBe('ResourceNotFoundException');
    const platform = await get('devices#@alice:localhost').catch((e: unknown) => e);
    expect((platform as Error).name).toBe('ResourceNotFoundException');
  });
});

describe('Axon with grants taken away from its declaration', () => {
  let runtime: LocalRuntime;
  const lines: string[] = [];
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const denied = (fn: string, action: string) => lines.filter((l) => l.startsWith(`access denied: ${fn} may not ${action}`));

  beforeAll(async () => {
    let module = withAccess(axon, 'roomEvents', (a) => ({ ...a, reads: a.reads?.filter((p) => p !== transactionIds) }));
    module = withAccess(module, 'profile', (a) => ({ ...a, appends: a.appends?.filter((d) => d !== depots.users) }));
    // Notifying the sync service posts to @connections too: without the service (sync: 'lambda')
    // nothing is notified, and the sync_needed push is the only post left to refuse.
    module = withAccess(module, 'keysTopology', (a) => ({ ...a, pushes: false, notifies: [] }));
    module = withAccess(module, 'media', (a) => ({ ...a, blobs: false }));
    runtime = await startTestRuntime('grants-removed', { module, log: (line) => lines.push(line), sync: 'lambda' });
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  it('a send whose function may no longer read transaction ids fails, and the log says which key was refused', async () => {
    const roomId = await createRoom(alice.client, { preset: 'private_chat' });
    const res = await send(alice.client, roomId, { msgtype: 'm.text', body: 'hello' });
    expect(res.status).toBe(500);
    expect(denied('roomEvents', 'dynamodb:').join('\n')).toContain(`transactionIds#`);
  });

  it('a profile change whose function may no longer append to the users depot fails at the append', async () => {
    const res = await alice.client.put(`${path.v3}/profile/${encodeURIComponent(alice.userId)}/displayname`, { displayname: 'Alice' });
    expect(res.status).toBe(500);
    expect(denied('profile', 'kinesis:PutRecord')).not.toEqual([]);
  });

  it('an upload whose function may no longer use the blob bucket fails at the bucket (the local directory checks as S3 would)', async () => {
    const res = await fetch(`${runtime.httpUrl}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(500);
    const refusal = denied('media', 's3:PutObject');
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(/on arn:aws:s3:::[^/]+-blobs\/[A-Za-z0-9._/-]+$/);
  });

  it('a topology that may no longer manage connections cannot post its sync_needed frame', async () => {
    const ws = new WebSocket(`${runtime.wsUrl}/?access_token=${encodeURIComponent(bob.accessToken)}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      const sent = await alice.client.put(`${path.v3}/sendToDevice/m.room_key/grants-1`, { messages: { [bob.userId]: { [bob.deviceId]: { session: 1 } } } });
      expect(sent.status).toBe(200);
      await until(async () => denied('keysTopology', 'execute-api:ManageConnections'), (found) => found.length > 0, 'the nudge refused');
      expect(denied('keysTopology', 'execute-api:ManageConnections')[0]).toContain('/local/POST/@connections/');
    } finally {
      ws.close();
    }
  });
});

describe('the sync service with a grant taken away from its declaration', () => {
  let runtime: LocalRuntime;
  const lines: string[] = [];

  beforeAll(async () => {
    // The sync function keeps its grants: only the service, which serves /sync here, loses one.
    const module = withServiceAccess(axon, 'sync', (a) => ({ ...a, reads: a.reads?.filter((p) => p !== accountData) }));
    runtime = await startTestRuntime('grants-service', { module, log: (line) => lines.push(line) });
  });
  afterAll(() => runtime?.stop());

  it('runs as its task role: a /sync it serves fails at the read its role no longer allows', async () => {
    const alice = await registerUser(new TestClient(runtime.httpUrl));
    const res = await alice.client.get(`${path.v3}/sync`);
    expect(res.status).toBe(500);
    const refused = lines.filter((l) => l.startsWith('access denied: service:sync may not dynamodb:'));
    expect(refused.join('\n')).toContain('accountData#');
    // Nothing else ran as the service: the functions kept their grants.
    expect(lines.filter((l) => l.startsWith('access denied') && !l.startsWith('access denied: service:sync'))).toEqual([]);
  });
});
