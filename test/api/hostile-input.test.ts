// Inputs a hostile client sends to break the server rather than use it: JSON nested thousands of
// levels deep, identifiers thousands of bytes long. Each gets the Matrix error the spec or
// Synapse gives, before anything is read or written — never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
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

  describe('identifiers of 3,000 bytes in the path', () => {
    const long = 'a'.repeat(3000);
    // Every declared route, each of its parameters in turn made 3,000 bytes long (the others short).
    const cases = axon.http.routes.flatMap((route) =>
      [...route.path.matchAll(/\{([^{}+]+)\+?\}/g)].map((m) => ({ route, param: m[1]! })),
    );

    it.each(cases)('$route.method $route.path with a long {$param} is the spec\'s 4xx, before any read', async ({ route, param }) => {
      const path = route.path.replace(/\{([^{}+]+)\+?\}/g, (_, name: string) => (name === param ? long : 'x'));
      const res = await alice.client.request(route.method, path, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      if (param === 'fileName') {
        // Not an identifier (a download's name for the file): the media is simply not there.
        expectError(res, 404, 'M_NOT_FOUND');
      } else if (['eventType', 'stateKey', 'statePath'].includes(param)) {
        // An event's type and state key: the event is malformed (as /send has always answered).
        expectError(res, 400, 'M_BAD_JSON');
      } else {
        expectError(res, 400, 'M_INVALID_PARAM');
      }
    });

    it('an event id of 3,000 characters is refused with 400 M_INVALID_PARAM on reads and writes', async () => {
      const eventId = `$${'e'.repeat(2999)}`;
      for (const [method, path] of [
        ['GET', `${v3}/rooms/${enc(roomId)}/event/${enc(eventId)}`],
        ['GET', `${v3}/rooms/${enc(roomId)}/context/${enc(eventId)}`],
        ['PUT', `${v3}/rooms/${enc(roomId)}/redact/${enc(eventId)}/t1`],
        ['POST', `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`],
      ] as const) {
        expectError(await alice.client.request(method, path, method === 'GET' ? undefined : {}), 400, 'M_INVALID_PARAM');
      }
    });
  });
});
