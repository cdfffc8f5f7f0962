import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../lib/matrix/canonical-json.ts';
import { checkClientEvent, redactsOf, serverMatchesAcl } from '../../lib/matrix/client-event-rules.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';

const roomId = '!room:example.org';
const eventId = `$${'a'.repeat(43)}`;

function refusal(type: string, content: JsonObject, stateKey?: string): { status: number; errcode: string } | undefined {
  try {
    checkClientEvent({ roomId, type, content, ...(stateKey !== undefined ? { stateKey } : {}) }, 'example.org:8448');
    return undefined;
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    return { status: e.status, errcode: e.errcode };
  }
}

describe('events clients compose, for types with special rules', () => {
  it('a redaction is a message event naming an event id', () => {
    expect(refusal('m.room.redaction', { redacts: eventId })).toBeUndefined();
    expect(refusal('m.room.redaction', { redacts: eventId }, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.redaction', {})).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.redaction', { redacts: ['x'] })).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(redactsOf({ redacts: eventId, reason: 'x' })).toBe(eventId);
  });
  it('member and create events are state; a second create is refused', () => {
    expect(refusal('m.room.member', { membership: 'join' })).toEqual({ status: 403, errcode: 'M_FORBIDDEN' });
    expect(refusal('m.room.member', { membership: 'join' }, '@a:example.org')).toBeUndefined();
    expect(refusal('m.room.create', {})).toEqual({ status: 403, errcode: 'M_FORBIDDEN' });
    expect(refusal('m.room.create', {}, '')).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
  });
  it('tombstones are state naming another room; power levels are integers', () => {
    expect(refusal('m.room.tombstone', { replacement_room: '!b:example.org' }, '')).toBeUndefined();
    expect(refusal('m.room.tombstone', { replacement_room: '!b:example.org' })).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.tombstone', { replacement_room: roomId }, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.tombstone', {}, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.power_levels', { ban: 50, users: { '@a:example.org': 100 } }, '')).toBeUndefined();
    expect(refusal('m.room.power_levels', { ban: '50' }, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('m.room.power_levels', { events: { 'm.room.name': 1.5 } }, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refusal('org.example.anything', { x: [1] })).toBeUndefined();
  });
  it('a server ACL must let this server in (port aside), as Synapse evaluates it', () => {
    expect(serverMatchesAcl({ allow: ['*'] }, 'example.org:8448')).toBe(true);
    expect(serverMatchesAcl({ allow: ['*.org'] }, 'example.org')).toBe(true);
    expect(serverMatchesAcl({ allow: ['*'], deny: ['exa?ple.org'] }, 'example.org')).toBe(false);
    expect(serverMatchesAcl({}, 'example.org')).toBe(false);
    expect(serverMatchesAcl({ allow: 'example.org' }, 'example.org')).toBe(false);
    expect(serverMatchesAcl({ allow: ['*'], allow_ip_literals: false }, '127.0.0.1:8008')).toBe(false);
    expect(serverMatchesAcl({ allow: ['*'] }, '127.0.0.1')).toBe(true);
    expect(refusal('m.room.server_acl', { allow: ['*'], deny: ['example.org'] }, '')).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
  });
});
