// The pure plans of a room upgrade: the replacement's initial events and the old room's restriction.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../lib/matrix/canonical-json.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { MapRoomState, type EventLike } from '../../lib/matrix/room-state.ts';
import { planUpgradedRoom, restrictedPowerLevels } from '../../lib/matrix/room-upgrade.ts';

const old = '!old:localhost';
const up = '@up:localhost';
const ev = (type: string, content: JsonObject, state_key = '', sender = up): EventLike => ({ type, state_key, sender, content, room_id: old });

describe('planUpgradedRoom', () => {
  const source = (levels: JsonObject, extra: EventLike[] = []) => ({
    oldRoomId: old,
    lastEventId: '$last',
    state: new MapRoomState([ev('m.room.create', { room_version: '11', type: 'm.space' }), ev('m.room.power_levels', levels), ...extra]),
    banned: ['@bad:localhost', up],
  });
  it('orders create, join, power levels, copied state, bans; v10 names the creator', () => {
    const events = planUpgradedRoom(source({ users: { [up]: 100 } }, [ev('m.room.name', { name: 'n' }), ev('m.room.topic', {})]), {
      newRoomId: '!new:localhost', version: '10', upgrader: up, profile: { displayname: 'Up' },
    }).events;
    expect(events.map((e) => `${e.type}|${e.state_key}`)).toEqual([
      'm.room.create|', `m.room.member|${up}`, 'm.room.power_levels|', 'm.room.name|', 'm.room.member|@bad:localhost',
    ]);
    expect(events[0]!.content).toEqual({ room_version: '10', creator: up, type: 'm.space', predecessor: { room_id: old, event_id: '$last' } });
    expect(events[1]!.content).toEqual({ membership: 'join', displayname: 'Up' });
    expect(events[4]!.content).toEqual({ membership: 'ban' });
  });
  it('raises the upgrader for the copy and restores the original levels last', () => {
    const levels = { users: { [up]: 50 }, events: { 'm.room.tombstone': 50, 'm.room.encryption': 75 }, state_default: 60 };
    const { events } = planUpgradedRoom(source(levels), { newRoomId: '!new:localhost', version: '11', upgrader: up });
    const pls = events.filter((e) => e.type === 'm.room.power_levels');
    expect(pls.map((e) => (e.content.users as JsonObject)[up])).toEqual([75, 50]);
    expect(events.at(-1)!.content).toEqual(levels);
  });
  it('refuses a copy the auth rules would refuse', () => {
    expect(() => planUpgradedRoom(source({ users: { [up]: 100 } }, [ev('m.room.join_rules', { join_rule: 'public' })]), {
      newRoomId: '!new:elsewhere', version: '11', upgrader: up,
    })).toThrow(MatrixError);
  });
});

describe('restrictedPowerLevels', () => {
  it('raises events_default and invite to max(users_default + 1, 50), or leaves them', () => {
    expect(restrictedPowerLevels(ev('m.room.power_levels', { events_default: 0, invite: 0 }))).toEqual({ events_default: 50, invite: 50 });
    expect(restrictedPowerLevels(ev('m.room.power_levels', { users_default: 60, invite: 70 }))).toEqual({ users_default: 60, invite: 70, events_default: 61 });
    expect(restrictedPowerLevels(ev('m.room.power_levels', { events_default: 50, invite: 50 }))).toBeUndefined();
    expect(restrictedPowerLevels(undefined)).toBeUndefined();
  });
});
