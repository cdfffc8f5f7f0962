// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event: the closest event the user may see, in
// either direction; 404 when there is none; 403 for a room the user cannot read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, path, send, timelineOf } from './rooms-support.ts';

const lookup = (roomId: string, query: string) => `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/timestamp_to_event?${query}`;
type Found = { event_id: string; origin_server_ts: number };

describe('timestamp_to_event', () => {
  let runtime: LocalRuntime;
  let anonymous: TestClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  beforeAll(async () => {
    runtime = await startTestRuntime('timestamps');
    anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
    roomId = await createRoom(alice.client, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    for (const body of ['one', 'two', 'three']) expect((await send(alice.client, roomId, { msgtype: 'm.text', body })).status).toBe(200);
  });
  afterAll(() => runtime?.stop());

  it('finds the first event at or after a time, and the last at or before it', async () => {
    const timeline = (await timelineOf(roomId)).map((e) => e.event);
    const middle = timeline[Math.floor(timeline.length / 2)]!;
    const ts = middle.origin_server_ts;
    const firstAtOrAfter = timeline.find((e) => e.origin_server_ts >= ts)!;
    const lastAtOrBefore = [...timeline].reverse().find((e) => e.origin_server_ts <= ts)!;
    const forwards = await alice.client.get<Found>(lookup(roomId, `ts=${ts}&dir=f`));
    expect(forwards.status).toBe(200);
    expect(forwards.body).toEqual({ event_id: firstAtOrAfter.event_id, origin_server_ts: firstAtOrAfter.origin_server_ts });
    expect((await alice.client.get<Found>(lookup(roomId, `ts=${ts}&dir=b`))).body.event_id).toBe(lastAtOrBefore.event_id);
    // From the dawn of time forwards: the room's first event; from far ahead backwards: its newest.
    expect((await alice.client.get<Found>(lookup(roomId, 'ts=0&dir=f'))).body.event_id).toBe(timeline[0]!.event_id);
    expect((await alice.client.get<Found>(lookup(roomId, `ts=${Date.now() + 86_400_000}&dir=b`))).body.event_id).toBe(timeline.at(-1)!.event_id);
  });

  it('answers 404 when nothing lies in that direction', async () => {
    expectError(await alice.client.get(lookup(roomId, 'ts=0&dir=b')), 404, 'M_NOT_FOUND');
    expectError(await alice.client.get(lookup(roomId, `ts=${Date.now() + 86_400_000}&dir=f`)), 404, 'M_NOT_FOUND');
  });

  it('skips events the user may not see (history visible from their join only)', async () => {
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    const timeline = (await timelineOf(roomId)).map((e) => e.event);
    const join = timeline.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)!;
    // The messages were sent under `joined` visibility before Bob joined: the search lands on the
    // first of them and moves on to his join. (The room's initial events, sent before the
    // visibility was set, are `shared` and visible to him, as in Synapse.)
    const firstMessage = timeline.find((e) => e.type === 'm.room.message')!;
    expect((await alice.client.get<Found>(lookup(roomId, `ts=${firstMessage.origin_server_ts}&dir=f`))).body.event_id).toBe(firstMessage.event_id);
    expect((await bob.client.get<Found>(lookup(roomId, `ts=${firstMessage.origin_server_ts}&dir=f`))).body.event_id).toBe(join.event_id);
  });

  it('refuses rooms the user cannot read, bad parameters and missing tokens', async () => {
    const other = await createRoom(alice.client, { preset: 'private_chat' });
    expectError(await bob.client.get(lookup(other, 'ts=0&dir=f')), 403, 'M_FORBIDDEN');
    expectError(await bob.client.get(lookup('!unknown:localhost', 'ts=0&dir=f')), 403, 'M_FORBIDDEN');
    expectError(await alice.client.get(lookup(roomId, 'dir=f')), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.get(lookup(roomId, 'ts=0')), 400, 'M_MISSING_PARAM');
    expectError(await alice.client.get(lookup(roomId, 'ts=soon&dir=f')), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.get(lookup(roomId, 'ts=0&dir=sideways')), 400, 'M_INVALID_PARAM');
    expectError(await anonymous.get(lookup(roomId, 'ts=0&dir=f')), 401, 'M_MISSING_TOKEN');
  });
});
