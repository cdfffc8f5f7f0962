// Event types with their own endpoint or rules, sent through the generic PUT /send and PUT /state
// instead: they get the checks of their endpoint (a redaction those of /redact, a member event
// those of the membership endpoints) and Synapse's validation, and a refused one writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, expectError } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { createRoom, membershipOf, path, send, stateEvent, timelineOf } from './rooms-support.ts';

const unknownEvent = `$${'A'.repeat(43)}`;

describe('special event types through /send and /state', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  beforeAll(async () => {
    runtime = await startTestRuntime('send-special');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob, carol] = await Promise.all([registerUser(anonymous), registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  async function publicRoom(version = '11'): Promise<string> {
    const roomId = await createRoom(alice.client, { preset: 'public_chat', room_version: version });
    expect((await bob.client.post(path.room(roomId, 'join'), {})).status).toBe(200);
    return roomId;
  }

  const sendRedaction = (client: TestClient, roomId: string, content: Record<string, unknown>, txnId = `r${Math.random().toString(36).slice(2)}`) =>
    client.put<{ event_id: string }>(path.room(roomId, `send/m.room.redaction/${txnId}`), content);

  it.each(['10', '11'])('a redaction through /send is authorised as /redact would be (v%s)', async (version) => {
    const roomId = await publicRoom(version);
    const alices = (await send(alice.client, roomId, { msgtype: 'm.text', body: 'keep' })).body.event_id;
    const mine = (await send(bob.client, roomId, { msgtype: 'm.text', body: 'oops' })).body.event_id;
    const count = (await timelineOf(roomId)).length;

    // a power-0 member redacting someone else's event: 403, as /redact and Synapse answer
    expectError(await sendRedaction(bob.client, roomId, { redacts: alices }), 403, 'M_FORBIDDEN');
    // an event that does not exist, or not in this room: 404 as /redact
    expectError(await sendRedaction(bob.client, roomId, { redacts: unknownEvent }), 404, 'M_NOT_FOUND');
    const elsewhere = await createRoom(bob.client, {});
    const foreign = (await send(bob.client, elsewhere, { msgtype: 'm.text', body: 'other room' })).body.event_id;
    expectError(await sendRedaction(bob.client, roomId, { redacts: foreign }), 404, 'M_NOT_FOUND');
    // no redacts, or one that is not an event id: 400
    expectError(await sendRedaction(bob.client, roomId, {}), 400, 'M_BAD_JSON');
    expectError(await sendRedaction(bob.client, roomId, { redacts: 42 }), 400, 'M_BAD_JSON');
    expectError(await sendRedaction(bob.client, roomId, { redacts: 'not an event' }), 400, 'M_BAD_JSON');
    // a redaction as a state event would be one no endpoint authorised
    expectError(await bob.client.put(path.room(roomId, 'state/m.room.redaction/x'), { redacts: mine }), 400, 'M_BAD_JSON');
    expect((await timelineOf(roomId)).length).toBe(count);
    expect((await timelineOf(roomId)).find((e) => e.event.event_id === alices)!.event.content).toEqual({ msgtype: 'm.text', body: 'keep' });

    // one's own event: redacted in storage, like /redact; the txnId is /send's (repeat = same event)
    const own = await sendRedaction(bob.client, roomId, { redacts: mine, reason: 'typo' }, `own-${version}`);
    expect(own.status).toBe(200);
    expect((await sendRedaction(bob.client, roomId, { redacts: mine, reason: 'typo' }, `own-${version}`)).body.event_id).toBe(own.body.event_id);
    const timeline = await timelineOf(roomId);
    expect(timeline).toHaveLength(count + 1);
    const redacted = timeline.find((e) => e.event.event_id === mine)!.event;
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned?.redacted_because).toMatchObject({ event_id: own.body.event_id });
    const redaction = timeline.at(-1)!.event;
    expect(redaction).toMatchObject({ type: 'm.room.redaction', content: { reason: 'typo' } });
    if (version === '11') expect(redaction.content.redacts).toBe(mine);
    else expect({ top: redaction.redacts, inContent: redaction.content.redacts }).toEqual({ top: mine, inContent: undefined });

    // the room's creator has the redact level
    expect((await sendRedaction(alice.client, roomId, { redacts: (await send(bob.client, roomId, { body: 'spam' })).body.event_id })).status).toBe(200);
  });

  it('nobody redacts the create event or a server ACL, through either endpoint', async () => {
    const roomId = await createRoom(alice.client, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.server_acl', state_key: '', content: { allow: ['*'], deny: ['evil.example'] } }],
    });
    const create = (await stateEvent(roomId, 'm.room.create'))!.event_id;
    const acl = (await stateEvent(roomId, 'm.room.server_acl'))!.event_id;
    const count = (await timelineOf(roomId)).length;
    for (const target of [create, acl]) {
      expectError(await sendRedaction(alice.client, roomId, { redacts: target }), 403, 'M_FORBIDDEN');
      expectError(await alice.client.put(path.room(roomId, `redact/${encodeURIComponent(target)}/r${Math.random()}`), {}), 403, 'M_FORBIDDEN');
    }
    expect((await timelineOf(roomId)).length).toBe(count);
  });

  it('state events with special rules are validated as Synapse validates them', async () => {
    const roomId = await publicRoom();
    const count = (await timelineOf(roomId)).length;
    // a second create event
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.create'), { room_version: '11' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.put(path.room(roomId, 'send/m.room.create/c1'), { room_version: '11' }), 403, 'M_FORBIDDEN');
    // power levels that are not integers
    const levels = (await stateEvent(roomId, 'm.room.power_levels'))!.content;
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.power_levels'), { ...levels, users_default: '0' }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.power_levels'), { ...levels, users: { [alice.userId]: 100.5 } }), 400, 'M_BAD_JSON');
    // tombstones: state only, naming another room
    expectError(await alice.client.put(path.room(roomId, 'send/m.room.tombstone/t1'), { replacement_room: '!other:localhost' }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.tombstone'), { body: 'gone' }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.tombstone'), { replacement_room: roomId }), 400, 'M_BAD_JSON');
    // a server ACL that shuts this server out
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.server_acl'), { allow: ['*'], deny: ['localhost'] }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(path.room(roomId, 'state/m.room.server_acl'), { allow: ['other.example'] }), 400, 'M_BAD_JSON');
    // and through createRoom's initial_state
    const initial = (type: string, content: Record<string, unknown>) =>
      alice.client.post(`${path.v3}/createRoom`, { initial_state: [{ type, state_key: '', content }] });
    expectError(await initial('m.room.redaction', { redacts: unknownEvent }), 400, 'M_INVALID_ROOM_STATE');
    expectError(await initial('m.room.server_acl', { allow: [] }), 400, 'M_INVALID_ROOM_STATE');
    expect((await timelineOf(roomId)).length).toBe(count);

    // well-formed ones go through
    expect((await alice.client.put(path.room(roomId, 'state/m.room.server_acl'), { allow: ['*'], deny: ['evil.example'] })).status).toBe(200);
    expect((await alice.client.put(path.room(roomId, 'state/m.room.tombstone'), { replacement_room: '!next:localhost', body: 'moved' })).status).toBe(200);
  });

  it('a member event through /state is a membership change, with the membership endpoints\' rules', async () => {
    const roomId = await publicRoom();
    const member = (user: string) => `state/m.room.member/${encodeURIComponent(user)}`;
    const count = (await timelineOf(roomId)).length;
    // an invite of a user who does not exist: 404 as POST /invite
    expectError(await alice.client.put(path.room(roomId, member('@nobody:localhost')), { membership: 'invite' }), 404, 'M_NOT_FOUND');
    expectError(await alice.client.put(path.room(roomId, member('not-a-user')), { membership: 'invite' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.client.put(path.room(roomId, member(carol.userId)), { membership: 'dance' }), 400, 'M_BAD_JSON');
    expectError(await alice.client.put(path.room(roomId, member(carol.userId)), {}), 400, 'M_BAD_JSON');
    // joining on someone else's behalf
    expectError(await alice.client.put(path.room(roomId, member(carol.userId)), { membership: 'join' }), 403, 'M_FORBIDDEN');
    // a power-0 member kicking through /state
    expectError(await bob.client.put(path.room(roomId, member(alice.userId)), { membership: 'leave' }), 403, 'M_FORBIDDEN');
    expect((await timelineOf(roomId)).length).toBe(count);

    // carol joins through /state: the server fills in her profile, keeps her other fields and
    // drops an authoriser she names
    expect((await carol.client.put(`${path.v3}/profile/${encodeURIComponent(carol.userId)}/displayname`, { displayname: 'Carol' })).status).toBe(200);
    const joined = await carol.client.put<{ event_id: string }>(path.room(roomId, member(carol.userId)), {
      membership: 'join',
      'org.example.note': 'hi',
      join_authorised_via_users_server: alice.userId,
    });
    expect(joined.status).toBe(200);
    const event = (await stateEvent(roomId, 'm.room.member', carol.userId))!;
    expect(event.event_id).toBe(joined.body.event_id);
    expect(event.content).toEqual({ membership: 'join', displayname: 'Carol', 'org.example.note': 'hi' });
    // the same event again is not written twice: its id is answered
    const again = await carol.client.put<{ event_id: string }>(path.room(roomId, member(carol.userId)), { membership: 'join', displayname: 'Carol', 'org.example.note': 'hi' });
    expect(again.body.event_id).toBe(joined.body.event_id);

    // alice bans then unbans carol through /state (a leave of a banned user is an unban)
    expect((await alice.client.put(path.room(roomId, member(carol.userId)), { membership: 'ban', reason: 'spam' })).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('ban');
    expect((await alice.client.put(path.room(roomId, member(carol.userId)), { membership: 'leave' })).status).toBe(200);
    expect(await membershipOf(roomId, carol.userId)).toBe('leave');
  });

  it('a restricted room\'s join through /state is authorised by the server\'s pick, not the client\'s', async () => {
    const space = await createRoom(alice.client, { preset: 'public_chat' });
    expect((await bob.client.post(path.room(space, 'join'), {})).status).toBe(200);
    const roomId = await createRoom(alice.client, {
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    const member = (user: string) => path.room(roomId, `state/m.room.member/${encodeURIComponent(user)}`);
    // carol is in none of the allowed rooms: naming a member with invite power does not let her in
    expectError(await carol.client.put(member(carol.userId), { membership: 'join', join_authorised_via_users_server: alice.userId }), 403, 'M_FORBIDDEN');
    expect(await membershipOf(roomId, carol.userId)).toBeUndefined();
    // bob is in the allowed space: his /state join works as POST /join does
    const joined = await bob.client.put(member(bob.userId), { membership: 'join' });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect((await stateEvent(roomId, 'm.room.member', bob.userId))?.content).toMatchObject({ membership: 'join', join_authorised_via_users_server: alice.userId });
  });
});
