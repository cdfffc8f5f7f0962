// Every access a function declares is used: with each request the local runtime's IAM check
// allowed recorded, a send, a member event set through /state, a profile change and a profile
// look-up exercise every PState read and write and every depot append that roomEvents and profile
// declare. So removing any one of them makes one of these requests fail locally with AccessDenied
// (test/local/grants.test.ts shows such failures). A representative set: the other functions'
// declarations are not checked here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDecl } from '../../lib/core/module.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { AuthorizationRequest } from '../../lib/local/iam/policy.ts';
import { axon } from '../../lib/matrix/module.ts';
import { dynamoReadActions, dynamoWriteActions, leadingKeyPattern } from '../../lib/stacks/grants.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send } from '../api/rooms-support.ts';

const covered = ['roomEvents', 'profile'] as const;

/** The declared accesses of a function no allowed request used, e.g. `reads users`. */
function unused(fn: string, requests: readonly AuthorizationRequest[]): string[] {
  const access = (axon.functions as Record<string, FunctionDecl>)[fn]!.access ?? {};
  const touched = (actions: string[], pstate: string) =>
    requests.some((r) => actions.includes(r.action) && (r.context?.['dynamodb:LeadingKeys'] ?? []).some((k) => k.startsWith(leadingKeyPattern(pstate).slice(0, -1))));
  return [
    // A PState declared written may be read anyway (writes imply reads: lib/stacks/grants.ts), so
    // declaring its read too grants nothing more: only its write is checked.
    ...(access.reads ?? []).filter((p) => !access.writes?.includes(p) && !touched(dynamoReadActions, p.name)).map((p) => `reads ${p.name}`),
    ...(access.writes ?? []).filter((p) => !touched(dynamoWriteActions, p.name)).map((p) => `writes ${p.name}`),
    ...(access.appends ?? []).filter((d) => !requests.some((r) => r.action.startsWith('kinesis:PutRecord') && r.resource.endsWith(`-${d.name}`))).map((d) => `appends ${d.name}`),
  ];
}

describe('declared access in use', () => {
  let runtime: LocalRuntime;
  const allowed = new Map<string, AuthorizationRequest[]>();

  beforeAll(async () => {
    runtime = await startTestRuntime('grants-used', {
      sync: 'lambda',
      onAuthorized: (fn, request) => allowed.set(fn, [...(allowed.get(fn) ?? []), request]),
    });
  });
  afterAll(() => runtime?.stop());

  it('roomEvents and profile use every PState and depot they declare', async () => {
    const anonymous = new TestClient(runtime.httpUrl);
    const [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    const roomId = await createRoom(alice.client, { preset: 'private_chat' });
    expect((await send(alice.client, roomId, { msgtype: 'm.text', body: 'hello' })).status).toBe(200);
    // A member event set through /state: its target's profile fills it (roomEvents reads users).
    const invite = await alice.client.put(`${path.v3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`, { membership: 'invite' });
    expect(invite.status, JSON.stringify(invite.body)).toBe(200);
    const named = await alice.client.put(`${path.v3}/profile/${encodeURIComponent(alice.userId)}/displayname`, { displayname: 'Alice' });
    expect(named.status).toBe(200);
    expect((await alice.client.get(`${path.v3}/profile/${encodeURIComponent(bob.userId)}`)).status).toBe(200);
    for (const fn of covered) expect(unused(fn, allowed.get(fn) ?? []), fn).toEqual([]);
  });
});
