import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../lib/matrix/canonical-json.ts';
import { assertAllowed, authorizeEvent, authorizeRedaction } from '../../lib/matrix/auth-rules.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { MapRoomState, type EventLike } from '../../lib/matrix/room-state.ts';
import type { RoomVersion } from '../../lib/matrix/room-versions.ts';

const room = '!room:localhost';
const creator = '@creator:localhost';
const mod = '@mod:localhost';
const alice = '@alice:localhost';
const bob = '@bob:localhost';
const carol = '@carol:localhost';

const ev = (sender: string, type: string, content: JsonObject, state_key?: string): EventLike => ({
  room_id: room, sender, type, content, ...(state_key !== undefined ? { state_key } : {}),
});
const member = (sender: string, target: string, membership: string) => ev(sender, 'm.room.member', { membership }, target);

/** A v11 room: creator 100, mod 50, alice joined at 0, bob invited, carol banned; join rule as given. */
function roomState(joinRule = 'invite', version: RoomVersion = '11'): MapRoomState {
  return new MapRoomState([
    ev(creator, 'm.room.create', version === '10' ? { room_version: '10', creator } : { room_version: '11' }, ''),
    member(creator, creator, 'join'),
    ev(creator, 'm.room.power_levels', {
      users: { [creator]: 100, [mod]: 50 }, users_default: 0, events_default: 0, state_default: 50,
      ban: 50, kick: 50, redact: 50, invite: 0, events: { 'm.room.name': 50, 'm.room.power_levels': 100 },
    }, ''),
    ev(creator, 'm.room.join_rules', { join_rule: joinRule }, ''),
    member(mod, mod, 'join'),
    member(alice, alice, 'join'),
    member(creator, bob, 'invite'),
    member(creator, carol, 'ban'),
  ]);
}

const check = (event: EventLike, state = roomState(), version: RoomVersion = '11') => authorizeEvent(event, state, version);
const allowed = (event: EventLike, state?: MapRoomState, version?: RoomVersion) => check(event, state, version).allowed;

describe('m.room.create', () => {
  it('allows a create on the sender’s server with the room version', () => {
    expect(allowed(ev(creator, 'm.room.create', { room_version: '11' }, ''), new MapRoomState())).toBe(true);
    expect(allowed(ev(creator, 'm.room.create', { room_version: '10', creator }, ''), new MapRoomState(), '10')).toBe(true);
  });
  it('refuses a foreign room id, an unknown version, and a v10 create without creator', () => {
    expect(allowed({ ...ev(creator, 'm.room.create', { room_version: '11' }, ''), room_id: '!r:elsewhere' }, new MapRoomState())).toBe(false);
    expect(check(ev(creator, 'm.room.create', { room_version: '13' }, ''), new MapRoomState())).toMatchObject({ errcode: 'M_UNSUPPORTED_ROOM_VERSION' });
    expect(allowed(ev(creator, 'm.room.create', { room_version: '10' }, ''), new MapRoomState(), '10')).toBe(false);
  });
  it('refuses a second create event', () => {
    expect(allowed(ev(creator, 'm.room.create', { room_version: '11' }, ''))).toBe(false);
  });
  it('refuses any other event in a room without a create event', () => {
    expect(allowed(ev(alice, 'm.room.message', { body: 'x' }), new MapRoomState())).toBe(false);
  });
});

describe('joins', () => {
  for (const version of ['10', '11'] as const) {
    it(`lets the creator join first (v${version}) and nobody else`, () => {
      const create = ev(creator, 'm.room.create', version === '10' ? { room_version: '10', creator } : { room_version: '11' }, '');
      expect(allowed(member(creator, creator, 'join'), new MapRoomState([create]), version)).toBe(true);
      expect(allowed(member(alice, alice, 'join'), new MapRoomState([create]), version)).toBe(false);
    });
  }
  it('allows anyone to join a public room, and the invited to join an invite-only room', () => {
    expect(allowed(member('@dan:localhost', '@dan:localhost', 'join'), roomState('public'))).toBe(true);
    expect(allowed(member('@dan:localhost', '@dan:localhost', 'join'), roomState('invite'))).toBe(false);
    expect(allowed(member(bob, bob, 'join'), roomState('invite'))).toBe(true);
    expect(allowed(member(alice, alice, 'join'), roomState('invite'))).toBe(true); // profile change
  });
  it('refuses banned users and joins on behalf of someone else', () => {
    expect(allowed(member(carol, carol, 'join'), roomState('public'))).toBe(false);
    expect(allowed(member(alice, '@dan:localhost', 'join'), roomState('public'))).toBe(false);
  });
});

describe('invites', () => {
  it('needs the sender joined, the invite level, and a target neither joined nor banned', () => {
    expect(allowed(member(alice, '@dan:localhost', 'invite'))).toBe(true);
    expect(allowed(member(bob, '@dan:localhost', 'invite'))).toBe(false); // bob is only invited
    expect(allowed(member(alice, mod, 'invite'))).toBe(false); // already joined
    expect(allowed(member(mod, carol, 'invite'))).toBe(false); // banned
    const state = roomState();
    state.set(ev(creator, 'm.room.power_levels', { users: { [creator]: 100 }, invite: 50 }, ''));
    expect(allowed(member(alice, '@dan:localhost', 'invite'), state)).toBe(false);
    expect(allowed(member(creator, '@dan:localhost', 'invite'), state)).toBe(true);
  });
});

describe('leave, kick, ban, unban', () => {
  it('lets members leave and invitees decline, not outsiders', () => {
    expect(allowed(member(alice, alice, 'leave'))).toBe(true);
    expect(allowed(member(bob, bob, 'leave'))).toBe(true);
    expect(allowed(member('@dan:localhost', '@dan:localhost', 'leave'))).toBe(false);
    expect(allowed(member(carol, carol, 'leave'))).toBe(false); // banned users cannot unban themselves
  });
  it('kicks need the kick level and a lower target', () => {
    expect(allowed(member(mod, alice, 'leave'))).toBe(true);
    expect(allowed(member(alice, mod, 'leave'))).toBe(false);
    expect(allowed(member(mod, creator, 'leave'))).toBe(false);
    expect(allowed(member(mod, bob, 'leave'))).toBe(true); // revoke an invite
  });
  it('bans need the ban level and a lower target; unbans need the ban level', () => {
    expect(allowed(member(mod, alice, 'ban'))).toBe(true);
    expect(allowed(member(mod, '@dan:localhost', 'ban'))).toBe(true); // pre-emptive ban
    expect(allowed(member(alice, bob, 'ban'))).toBe(false);
    expect(allowed(member(mod, creator, 'ban'))).toBe(false);
    expect(allowed(member(mod, carol, 'leave'))).toBe(true);
    expect(allowed(member(alice, carol, 'leave'))).toBe(false);
  });
  it('refuses unknown memberships and knocks where the join rule does not allow them', () => {
    expect(check(member(alice, alice, 'dance'))).toMatchObject({ allowed: false, errcode: 'M_BAD_JSON' });
    expect(allowed(member('@dan:localhost', '@dan:localhost', 'knock'))).toBe(false);
    expect(allowed(member('@dan:localhost', '@dan:localhost', 'knock'), roomState('knock'))).toBe(true);
    expect(allowed(member(alice, alice, 'knock'), roomState('knock'))).toBe(false);
  });
});

describe('knocks', () => {
  const dan = '@dan:localhost';
  const knocking = (joinRule = 'knock') => roomState(joinRule).set(member(dan, dan, 'knock'));
  it('allows a knock only under knock and knock_restricted, by the user themselves, not banned/invited/joined', () => {
    for (const rule of ['knock', 'knock_restricted']) expect(allowed(member(dan, dan, 'knock'), roomState(rule))).toBe(true);
    for (const rule of ['public', 'invite', 'restricted']) expect(allowed(member(dan, dan, 'knock'), roomState(rule))).toBe(false);
    expect(allowed(member(alice, dan, 'knock'), roomState('knock'))).toBe(false); // on behalf of someone else
    expect(allowed(member(carol, carol, 'knock'), roomState('knock'))).toBe(false); // banned
    expect(allowed(member(bob, bob, 'knock'), roomState('knock'))).toBe(false); // invited
    expect(allowed(member(dan, dan, 'knock'), knocking())).toBe(true); // knocking again
  });
  it('a knocker cannot join uninvited; an invite accepts, a kick rejects, their own leave rescinds', () => {
    expect(allowed(member(dan, dan, 'join'), knocking())).toBe(false);
    expect(allowed(member(alice, dan, 'invite'), knocking())).toBe(true);
    expect(allowed(member(mod, dan, 'leave'), knocking())).toBe(true);
    expect(allowed(member(alice, dan, 'leave'), knocking())).toBe(false); // no kick power
    expect(allowed(member(dan, dan, 'leave'), knocking())).toBe(true);
    expect(allowed(member(dan, dan, 'leave'), roomState('knock'))).toBe(false); // nothing to rescind
  });
});

describe('restricted joins', () => {
  const dan = '@dan:localhost';
  const via = (user: string) => ev(dan, 'm.room.member', { membership: 'join', join_authorised_via_users_server: user }, dan);
  for (const rule of ['restricted', 'knock_restricted']) {
    it(`${rule}: members and invitees join; others need a joined authoriser with invite power`, () => {
      expect(allowed(member(bob, bob, 'join'), roomState(rule))).toBe(true); // invited
      expect(allowed(member(alice, alice, 'join'), roomState(rule))).toBe(true); // profile change
      expect(allowed(member(dan, dan, 'join'), roomState(rule))).toBe(false); // no authoriser
      expect(allowed(via(alice), roomState(rule))).toBe(true); // invite level 0
      expect(allowed(via(bob), roomState(rule))).toBe(false); // only invited
      expect(allowed(via('@nobody:localhost'), roomState(rule))).toBe(false);
      const state = roomState(rule);
      state.set(ev(creator, 'm.room.power_levels', { users: { [creator]: 100, [mod]: 50 }, invite: 50 }, ''));
      expect(allowed(via(alice), state)).toBe(false); // alice cannot invite any more
      expect(allowed(via(mod), state)).toBe(true);
      expect(allowed(ev(carol, 'm.room.member', { membership: 'join', join_authorised_via_users_server: mod }, carol), state)).toBe(false); // banned
    });
  }
});

describe('other events', () => {
  it('needs the sender joined', () => {
    expect(allowed(ev(alice, 'm.room.message', { body: 'hi' }))).toBe(true);
    expect(allowed(ev(bob, 'm.room.message', { body: 'hi' }))).toBe(false);
    expect(allowed(ev('@dan:localhost', 'm.room.message', { body: 'hi' }))).toBe(false);
  });
  it('needs the level of the event type (events, state_default, events_default)', () => {
    expect(allowed(ev(alice, 'm.room.name', { name: 'x' }, ''))).toBe(false);
    expect(allowed(ev(mod, 'm.room.name', { name: 'x' }, ''))).toBe(true);
    expect(allowed(ev(alice, 'm.room.topic', { topic: 'x' }, ''))).toBe(false); // state_default 50
    expect(allowed(ev(mod, 'm.room.topic', { topic: 'x' }, ''))).toBe(true);
  });
  it('needs the invite level for m.room.third_party_invite', () => {
    const state = roomState();
    state.set(ev(creator, 'm.room.power_levels', { users: { [creator]: 100, [mod]: 50 }, invite: 50 }, ''));
    expect(allowed(ev(alice, 'm.room.third_party_invite', { display_name: 'x' }, 'tok'), state)).toBe(false);
    expect(allowed(ev(mod, 'm.room.third_party_invite', { display_name: 'x' }, 'tok'), state)).toBe(true);
  });
  it('reserves user-id state keys to their user', () => {
    expect(allowed(ev(mod, 'org.example.state', {}, mod))).toBe(true);
    expect(allowed(ev(mod, 'org.example.state', {}, alice))).toBe(false);
  });
  it('maps a refusal to a 403 MatrixError', () => {
    const result = check(ev(bob, 'm.room.message', { body: 'hi' }));
    expect(() => assertAllowed(result)).toThrow(MatrixError);
    try {
      assertAllowed(result);
    } catch (error) {
      expect((error as MatrixError).status).toBe(403);
      expect((error as MatrixError).errcode).toBe('M_FORBIDDEN');
    }
    expect(() => assertAllowed(check(ev(alice, 'm.room.message', {})))).not.toThrow();
  });
});

describe('power levels changes', () => {
  const pl = (content: JsonObject, sender = mod) => ev(sender, 'm.room.power_levels', content, '');
  const base = { users: { [creator]: 100, [mod]: 50 }, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0, events: { 'm.room.name': 50, 'm.room.power_levels': 100 } };

  it('needs the level to send power levels at all', () => {
    expect(allowed(pl(base, mod))).toBe(false); // m.room.power_levels needs 100
    expect(allowed(pl({ ...base, users: { ...base.users, [alice]: 50 } }, creator))).toBe(true);
  });

  const state = () => {
    const s = roomState();
    s.set(ev(creator, 'm.room.power_levels', { ...base, events: { 'm.room.name': 50 } }, ''));
    return s;
  };
  it('lets a user raise others up to their own level, not above', () => {
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { ...base.users, [alice]: 50 } }), state())).toBe(true);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { ...base.users, [alice]: 51 } }), state())).toBe(false);
  });
  it('refuses changing users at or above the sender’s level, but allows lowering oneself', () => {
    const peer = state();
    peer.set(ev(creator, 'm.room.power_levels', { ...base, events: { 'm.room.name': 50 }, users: { ...base.users, [alice]: 50 } }, ''));
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { ...base.users, [alice]: 0 } }), peer)).toBe(false);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { [creator]: 100, [alice]: 50, [mod]: 10 } }), peer)).toBe(true);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { [mod]: 50, [alice]: 50 } }), peer)).toBe(false); // removing the creator
  });
  it('refuses changing thresholds above the sender’s level', () => {
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, ban: 60 }), state())).toBe(false);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, ban: 40 }), state())).toBe(true);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50, 'm.room.topic': 70 } }), state())).toBe(false);
    expect(allowed(pl({ ...base, events: {} }), state())).toBe(true); // removing a 50 entry
  });
  it('refuses malformed content (v10+: integers only, user id keys)', () => {
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, ban: '50' } as JsonObject), state())).toBe(false);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 50 }, users: { ...base.users, 'not-a-user': 0 } }), state())).toBe(false);
    expect(allowed(pl({ ...base, events: { 'm.room.name': 1.5 } }), state())).toBe(false);
  });
});

describe('redaction permission', () => {
  it('allows redacting one’s own events, others’ only with the redact level', () => {
    const state = roomState();
    expect(authorizeRedaction(alice, { sender: alice }, state, '11').allowed).toBe(true);
    expect(authorizeRedaction(alice, { sender: mod }, state, '11').allowed).toBe(false);
    expect(authorizeRedaction(mod, { sender: alice }, state, '11').allowed).toBe(true);
    expect(authorizeRedaction(mod, undefined, state, '11')).toMatchObject({ errcode: 'M_NOT_FOUND' });
  });
  it('refuses redacting the create event or a server ACL, even one’s own (as Synapse)', () => {
    const state = roomState();
    expect(authorizeRedaction(creator, { sender: creator, type: 'm.room.create' }, state, '11')).toMatchObject({ allowed: false, errcode: 'M_FORBIDDEN' });
    expect(authorizeRedaction(creator, { sender: creator, type: 'm.room.server_acl' }, state, '11')).toMatchObject({ allowed: false, errcode: 'M_FORBIDDEN' });
    expect(authorizeRedaction(creator, { sender: creator, type: 'm.room.topic' }, state, '11').allowed).toBe(true);
  });
});
