import { describe, expect, it } from 'vitest';
import {
  defaultPowerLevelsContent, parsePowerLevels, powerLevelsOf, requiredLevel, roomCreator, userLevel,
} from '../../lib/matrix/power-levels.ts';
import { MapRoomState } from '../../lib/matrix/room-state.ts';

const create10 = { type: 'm.room.create', sender: '@s:localhost', state_key: '', content: { room_version: '10', creator: '@c:localhost' } };
const create11 = { type: 'm.room.create', sender: '@s:localhost', state_key: '', content: { room_version: '11' } };

describe('power levels', () => {
  it('names the creator per room version', () => {
    expect(roomCreator(create10, '10')).toBe('@c:localhost');
    expect(roomCreator(create11, '11')).toBe('@s:localhost');
  });

  it('without a power levels event: creator 100, others 0, state needs 0, ban/kick/redact 50', () => {
    const levels = powerLevelsOf(new MapRoomState([create11]), '11');
    expect(userLevel(levels, '@s:localhost')).toBe(100);
    expect(userLevel(levels, '@x:localhost')).toBe(0);
    expect(requiredLevel(levels, 'm.room.name', true)).toBe(0);
    expect([levels.ban, levels.kick, levels.redact, levels.invite]).toEqual([50, 50, 50, 0]);
  });

  it('fills missing fields of an event with the spec defaults', () => {
    const levels = parsePowerLevels({ users: { '@a:localhost': 30 }, events: { 'm.room.topic': 10 } });
    expect(levels).toMatchObject({ users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
    expect(userLevel(levels, '@a:localhost')).toBe(30);
    expect(requiredLevel(levels, 'm.room.topic', true)).toBe(10);
    expect(requiredLevel(levels, 'm.room.name', true)).toBe(50);
    expect(requiredLevel(levels, 'm.room.message', false)).toBe(0);
  });

  it('writes Synapse-like defaults for a new room', () => {
    const content = defaultPowerLevelsContent('@c:localhost', '11');
    expect(content.users).toEqual({ '@c:localhost': 100 });
    expect(parsePowerLevels(content)).toMatchObject({ state_default: 50, invite: 0 });
  });
});
