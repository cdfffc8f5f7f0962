// Inputs a hostile client sends to break the server rather than use it: JSON nested thousands of
// levels deep, identifiers thousands of bytes long. Each gets the Matrix error the spec or
// Synapse gives, before anything is read or written — never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { measureAws } from '../support/aws-requests.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { startTestRuntime } from '../support/runtime.ts';

const v3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** Records appended to any depot while `run` runs. */
async function kinesisPutsDuring(run: () => Promise<void>): Promise<number> {
  return (await measureAws(run)).cost.kinesisRecords;
}

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

  describe("the gateway's own answers", () => {
    it('a body over the gateway limit (10 MiB) is 413 M_TOO_LARGE, a URL over the header limit 431 M_TOO_LARGE, both JSON', async () => {
      const huge = `{"msgtype":"m.text","body":"${'x'.repeat(10 * 1024 * 1024)}"}`;
      const big = await alice.client.request('PUT', `${v3}/rooms/${enc(roomId)}/send/m.room.message/huge`, undefined, {
        rawBody: huge,
        headers: { 'content-type': 'application/json' },
      });
      expectError(big, 413, 'M_TOO_LARGE');
      const longUrl = await alice.client.get(`${v3}/rooms/${enc(roomId)}/messages?dir=b&from=${'x'.repeat(20_000)}`);
      expectError(longUrl, 431, 'M_TOO_LARGE');
    });
  });

  describe('one request, bounded work', () => {
    it('createRoom with more than 10 invitees is 400 (as Synapse), with more than 100 initial_state events 413; no room either way', async () => {
      const before = await alice.client.get<{ joined_rooms: string[] }>(`${v3}/joined_rooms`);
      const invite = Array.from({ length: 11 }, (_, i) => `@someone${i}:localhost`);
      expectError(await alice.client.post(`${v3}/createRoom`, { invite }), 400, 'M_UNKNOWN');
      const initial_state = Array.from({ length: 101 }, (_, i) => ({ type: 'org.example.bulk', state_key: `k${i}`, content: {} }));
      expectError(await alice.client.post(`${v3}/createRoom`, { initial_state }), 413, 'M_TOO_LARGE');
      const after = await alice.client.get<{ joined_rooms: string[] }>(`${v3}/joined_rooms`);
      expect(after.body.joined_rooms.sort()).toEqual(before.body.joined_rooms.sort());
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

  describe('key backup uploads that name nothing', () => {
    const session = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { ciphertext: 'c' } };

    it('no backup at all, an unknown version or a malformed one: 404 M_NOT_FOUND at once, nothing appended to a depot', async () => {
      const user = await registerUser(new TestClient(runtime.httpUrl));
      const appended = await kinesisPutsDuring(async () => {
        for (const version of ['1', '99', 'abc', '']) {
          const q = `?version=${enc(version)}`;
          expectError(await user.client.put(`${v3}/room_keys/keys${q}`, { rooms: {} }), 404, 'M_NOT_FOUND');
          expectError(await user.client.put(`${v3}/room_keys/keys${q}`, { rooms: { [roomId]: { sessions: { s1: session } } } }), 404, 'M_NOT_FOUND');
          expectError(await user.client.put(`${v3}/room_keys/keys/${enc(roomId)}${q}`, { sessions: {} }), 404, 'M_NOT_FOUND');
          expectError(await user.client.put(`${v3}/room_keys/keys/${enc(roomId)}/s1${q}`, session), 404, 'M_NOT_FOUND');
          expectError(await user.client.delete(`${v3}/room_keys/keys${q}`), 404, 'M_NOT_FOUND');
          expectError(await user.client.put(`${v3}/room_keys/version/${enc(version || '0')}`, { algorithm: 'a', auth_data: {} }), 404, 'M_NOT_FOUND');
          expectError(await user.client.delete(`${v3}/room_keys/version/${enc(version || '0')}`), 404, 'M_NOT_FOUND');
        }
      });
      expect(appended).toBe(0);
      expectError(await user.client.get(`${v3}/room_keys/version`), 404, 'M_NOT_FOUND');
    });

    it('room and session ids over 255 bytes in the body are 400 M_BAD_JSON, before anything is appended', async () => {
      const user = await registerUser(new TestClient(runtime.httpUrl));
      const created = await user.client.post<{ version: string }>(`${v3}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {} });
      const q = `?version=${created.body.version}`;
      const long = 'r'.repeat(3000);
      const appended = await kinesisPutsDuring(async () => {
        expectError(await user.client.put(`${v3}/room_keys/keys${q}`, { rooms: { [long]: { sessions: { s1: session } } } }), 400, 'M_BAD_JSON');
        expectError(await user.client.put(`${v3}/room_keys/keys${q}`, { rooms: { [roomId]: { sessions: { [long]: session } } } }), 400, 'M_BAD_JSON');
      });
      expect(appended).toBe(0);
      const held = await user.client.get<{ rooms: Record<string, unknown> }>(`${v3}/room_keys/keys${q}`);
      expect(held.body.rooms).toEqual({});
    });

    it('an existing version: no keys is 200 with its count and etag unchanged; an old version is 403 M_WRONG_ROOM_KEYS_VERSION', async () => {
      const user = await registerUser(new TestClient(runtime.httpUrl));
      const first = await user.client.post<{ version: string }>(`${v3}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'k' } });
      expect(first.status).toBe(200);
      const empty = await user.client.put<{ etag: string; count: number }>(`${v3}/room_keys/keys?version=${first.body.version}`, { rooms: {} });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ etag: '0', count: 0 });
      const second = await user.client.post<{ version: string }>(`${v3}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'k2' } });
      const stale = await user.client.put(`${v3}/room_keys/keys?version=${first.body.version}`, { rooms: {} });
      expectError(stale, 403, 'M_WRONG_ROOM_KEYS_VERSION');
      expect((stale.body as { current_version?: string }).current_version).toBe(second.body.version);
    });
  });
});
