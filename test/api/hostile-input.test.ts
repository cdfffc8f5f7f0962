// Inputs a hostile client sends to break the server rather than use it: JSON nested thousands of
// levels deep, identifiers thousands of bytes long. Each gets the Matrix error the spec or
// Synapse gives, before anything is read or written — never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('hostile input', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let roomId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime('hostile');
    alice = await registerUser(new TestClient(runtime.httpUrl));
    const created = await alice.client.post<{ room_id: string }>(`${v3}/createRoom`, { preset: 'public_chat' });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
  });
  afterAll(() => runtime?.stop());

  describe('JSON nested 10,000 levels deep', () => {
    const deep = (levels: number) => `{"msgtype":"m.text","body":"deep","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    const raw = (rawBody: string) => ({ rawBody, headers: { 'content-type': 'application/json' } });

    it('is 400 M_BAD_JSON on every kind of JSON body, and nothing is written', async () => {
      const body = deep(10_000);
      expectError(await alice.client.request('PUT', `${v3}/rooms/${enc(roomId)}/send/m.room.message/deep1`, undefined, raw(body)), 400, 'M_BAD_JSON');
      expectError(await alice.client.request('PUT', `${v3}/rooms/${enc(roomId)}/state/m.room.topic/`, undefined, raw(body)), 400, 'M_BAD_JSON');
      expectError(await alice.client.request('PUT', `${v3}/user/${enc(alice.userId)}/account_data/m.deep`, undefined, raw(body)), 400, 'M_BAD_JSON');
      expectError(await alice.client.request('POST', `${v3}/user/${enc(alice.userId)}/filter`, undefined, raw(body)), 400, 'M_BAD_JSON');
      expectError(await alice.client.request('POST', `${v3}/createRoom`, undefined, raw(`{"creation_content":${deep(10_000)}}`)), 400, 'M_BAD_JSON');
      const messages = await alice.client.get<{ chunk: { type: string }[] }>(`${v3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      expect(messages.body.chunk.filter((e) => e.type === 'm.room.message')).toEqual([]);
      expectError(await alice.client.get(`${v3}/user/${enc(alice.userId)}/account_data/m.deep`), 404, 'M_NOT_FOUND');
    });

    it('is 400 M_BAD_JSON in an inline filter too', async () => {
      const filter = `{"room":{"timeline":{"limit":1,"x":${'['.repeat(2000)}${']'.repeat(2000)}}}}`;
      expectError(await alice.client.get(`${v3}/rooms/${enc(roomId)}/messages?dir=b&filter=${enc(filter)}`), 400, 'M_BAD_JSON');
    });
  });
});
