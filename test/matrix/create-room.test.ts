import { describe, expect, it } from 'vitest';
import { MAX_CREATE_ROOM_INVITES, MAX_INITIAL_STATE_EVENTS, planCreateRoom, type PlannedEvent } from '../../lib/matrix/create-room.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';

const creator = '@alice:localhost';
const options = { roomId: '!new:localhost', creator, server: 'localhost' };
const plan = (body: unknown) => planCreateRoom(body, options);
const errcodeOf = (body: unknown): string | undefined => {
  try {
    plan(body);
    return undefined;
  } catch (error) {
    if (error instanceof MatrixError) return error.errcode;
    throw error;
  }
};
const find = (events: PlannedEvent[], type: string, key = '') => events.find((e) => e.type === type && e.state_key === key);

describe('createRoom plan', () => {
  it('orders the events as the spec says and defaults to a private v11 room', () => {
    const p = plan({ name: 'N', topic: 'T', room_alias_name: 'hq', invite: ['@bob:localhost'], initial_state: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
    expect(p.events.map((e) => `${e.type}|${e.state_key}`)).toEqual([
      'm.room.create|', `m.room.member|${creator}`, 'm.room.power_levels|', 'm.room.canonical_alias|',
      'm.room.join_rules|', 'm.room.history_visibility|', 'm.room.guest_access|', 'm.room.encryption|',
      'm.room.name|', 'm.room.topic|', 'm.room.member|@bob:localhost',
    ]);
    expect(p).toMatchObject({ roomVersion: '11', preset: 'private_chat', visibility: 'private', alias: '#hq:localhost', invitees: ['@bob:localhost'] });
    expect(p.events.every((e) => e.sender === creator)).toBe(true);
    expect(find(p.events, 'm.room.create')!.content).toEqual({ room_version: '11' });
    expect(find(p.events, 'm.room.join_rules')!.content).toEqual({ join_rule: 'invite' });
    expect(find(p.events, 'm.room.topic')!.content.topic).toBe('T');
    expect(find(p.events, 'm.room.power_levels')!.content).toMatchObject({ invite: 0, users: { [creator]: 100 } });
  });

  it('v10 names the creator in m.room.create; creation_content keeps extra keys but not creator/room_version', () => {
    const p = plan({ room_version: '10', creation_content: { 'm.federate': false, creator: '@evil:localhost', room_version: '1' } });
    expect(find(p.events, 'm.room.create')!.content).toEqual({ 'm.federate': false, creator, room_version: '10' });
    const p11 = plan({ creation_content: { creator: '@evil:localhost', type: 'm.space' } });
    expect(find(p11.events, 'm.room.create')!.content).toEqual({ type: 'm.space', room_version: '11' });
  });

  it('applies presets: public_chat is public with forbidden guests, trusted_private_chat gives invitees the creator’s level', () => {
    const pub = plan({ preset: 'public_chat' });
    expect(find(pub.events, 'm.room.join_rules')!.content).toEqual({ join_rule: 'public' });
    expect(find(pub.events, 'm.room.guest_access')!.content).toEqual({ guest_access: 'forbidden' });
    expect(find(pub.events, 'm.room.power_levels')!.content.invite).toBe(50);
    expect(plan({ visibility: 'public' }).preset).toBe('public_chat');
    const trusted = plan({ preset: 'trusted_private_chat', invite: ['@bob:localhost'], is_direct: true });
    expect(find(trusted.events, 'm.room.power_levels')!.content.users).toEqual({ [creator]: 100, '@bob:localhost': 100 });
    expect(find(trusted.events, 'm.room.member', '@bob:localhost')!.content).toEqual({ membership: 'invite', is_direct: true });
    expect(find(trusted.events, 'm.room.history_visibility')!.content).toEqual({ history_visibility: 'shared' });
  });

  it('lets initial_state replace preset events and name/topic replace initial_state', () => {
    const p = plan({ preset: 'public_chat', name: 'direct', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'invite' } }, { type: 'm.room.name', content: { name: 'ignored' } }] });
    expect(p.events.filter((e) => e.type === 'm.room.join_rules').map((e) => e.content)).toEqual([{ join_rule: 'invite' }]);
    expect(p.events.filter((e) => e.type === 'm.room.name').map((e) => e.content)).toEqual([{ name: 'direct' }]);
  });

  it('applies power_level_content_override on top', () => {
    const p = plan({ power_level_content_override: { events_default: 50, users: { [creator]: 100, '@bob:localhost': 50 } } });
    expect(find(p.events, 'm.room.power_levels')!.content).toMatchObject({ events_default: 50, users: { [creator]: 100, '@bob:localhost': 50 }, state_default: 50 });
  });

  it('refuses bad input with the spec’s errors', () => {
    expect(errcodeOf({ room_version: '13' })).toBe('M_UNSUPPORTED_ROOM_VERSION');
    expect(errcodeOf({ preset: 'party' })).toBe('M_BAD_JSON');
    expect(errcodeOf({ name: 5 })).toBe('M_BAD_JSON');
    expect(errcodeOf({ invite: ['bob'] })).toBe('M_INVALID_PARAM');
    expect(errcodeOf({ room_alias_name: 'a b' })).toBe('M_INVALID_PARAM');
    expect(errcodeOf({ initial_state: [{ type: 'm.room.create', content: {} }] })).toBe('M_INVALID_ROOM_STATE');
    expect(errcodeOf({ initial_state: [{ type: 'x' }] })).toBe('M_MISSING_PARAM');
    // The creator would lose the level to send the rest of the initial state.
    expect(errcodeOf({ power_level_content_override: { users: { [creator]: 0 } }, name: 'x' })).toBe('M_INVALID_ROOM_STATE');
    expect(errcodeOf({ power_level_content_override: { ban: 1.5 } })).toBe('M_BAD_JSON');
    expect(errcodeOf([])).toBe('M_BAD_JSON');
    expect(errcodeOf({ power_level_content_override: { users: { '@bob:localhost': 100 } } })).toBe('M_INVALID_PARAM');
    expect(errcodeOf({})).toBeUndefined();
  });

  it('bounds the work of one request: 10 invitees at most (Synapse), 100 initial_state events', () => {
    const invite = (n: number) => Array.from({ length: n }, (_, i) => `@user${i}:localhost`);
    expect(MAX_CREATE_ROOM_INVITES).toBe(10);
    expect(plan({ invite: invite(10) }).invitees).toHaveLength(10);
    // The same user twice is one invitee.
    expect(errcodeOf({ invite: [...invite(10), '@user0:localhost'] })).toBeUndefined();
    expect(errcodeOf({ invite: invite(11) })).toBe('M_UNKNOWN');
    const initial_state = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'org.example.bulk', state_key: `k${i}`, content: {} }));
    expect(errcodeOf({ initial_state: initial_state(MAX_INITIAL_STATE_EVENTS) })).toBeUndefined();
    expect(errcodeOf({ initial_state: initial_state(MAX_INITIAL_STATE_EVENTS + 1) })).toBe('M_TOO_LARGE');
  });
});
