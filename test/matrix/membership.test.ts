import { describe, expect, it } from 'vitest';
import type { MatrixError } from '../../lib/matrix/errors.ts';
import { assertEventSize, buildEvent, replacedStateUnsigned, toClientEvent } from '../../lib/matrix/events.ts';
import { checkMembershipPrecondition, isRedundantMembership, membershipEvent, withProfile } from '../../lib/matrix/membership.ts';

const a = '@a:localhost';
const b = '@b:localhost';
const errcode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as MatrixError).errcode;
  }
  return undefined;
};

describe('membership endpoints', () => {
  it('turns each action into its member event', () => {
    expect(membershipEvent({ action: 'join', sender: a, target: b, profile: { displayname: 'A', avatar_url: null } }))
      .toEqual({ type: 'm.room.member', state_key: a, sender: a, content: { membership: 'join', displayname: 'A' } });
    expect(membershipEvent({ action: 'invite', sender: a, target: b, isDirect: true, profile: { displayname: 'B' } }).content)
      .toEqual({ membership: 'invite', displayname: 'B', is_direct: true });
    expect(membershipEvent({ action: 'kick', sender: a, target: b, reason: 'spam' })).toMatchObject({ state_key: b, content: { membership: 'leave', reason: 'spam' } });
    expect(membershipEvent({ action: 'ban', sender: a, target: b }).content).toEqual({ membership: 'ban' });
    expect(membershipEvent({ action: 'unban', sender: a, target: b }).content).toEqual({ membership: 'leave' });
    expect(membershipEvent({ action: 'leave', sender: a, target: b }).state_key).toBe(a);
  });
  it('refuses unbanning the unbanned and kicking non-members', () => {
    expect(errcode(() => checkMembershipPrecondition('unban', 'leave'))).toBe('M_FORBIDDEN');
    expect(errcode(() => checkMembershipPrecondition('unban', 'ban'))).toBeUndefined();
    expect(errcode(() => checkMembershipPrecondition('kick', undefined))).toBe('M_FORBIDDEN');
    expect(errcode(() => checkMembershipPrecondition('kick', 'invite'))).toBeUndefined();
    expect(errcode(() => checkMembershipPrecondition('join', undefined, false))).toBe('M_NOT_FOUND');
  });
  it('spots redundant joins and applies profile changes', () => {
    expect(isRedundantMembership({ membership: 'join', displayname: 'A' }, { membership: 'join', displayname: 'A' })).toBe(true);
    expect(isRedundantMembership({ membership: 'join' }, { membership: 'join', displayname: 'A' })).toBe(false);
    expect(isRedundantMembership({ membership: 'invite' }, { membership: 'join' })).toBe(false);
    expect(withProfile({ membership: 'join', displayname: 'A', avatar_url: 'mxc://x/y' }, { displayname: 'B', avatar_url: null }))
      .toEqual({ membership: 'join', displayname: 'B' });
  });
});

describe('event size', () => {
  it('refuses events over 65536 bytes with 413 M_TOO_LARGE', () => {
    const draft = { room_id: '!r:localhost', sender: a, type: 'm.room.message', origin_server_ts: 1, depth: 1 };
    expect(() => assertEventSize(buildEvent({ ...draft, content: { body: 'x'.repeat(60_000) } }, '11'))).not.toThrow();
    const big = buildEvent({ ...draft, content: { body: 'x'.repeat(65_536) } }, '11');
    expect(errcode(() => assertEventSize(big))).toBe('M_TOO_LARGE');
  });
  it('refuses types and state keys over 255 bytes', () => {
    const draft = { room_id: '!r:localhost', sender: a, origin_server_ts: 1, depth: 1, content: {} };
    expect(errcode(() => assertEventSize(buildEvent({ ...draft, type: 't'.repeat(256) }, '11')))).toBe('M_BAD_JSON');
    expect(errcode(() => assertEventSize(buildEvent({ ...draft, type: 't', state_key: 'é'.repeat(128) }, '11')))).toBe('M_BAD_JSON');
    expect(errcode(() => assertEventSize(buildEvent({ ...draft, type: 't'.repeat(255), state_key: '' }, '11')))).toBeUndefined();
  });
});

describe('replaced state', () => {
  it('carries the previous content to clients as unsigned.prev_content', () => {
    const draft = { room_id: '!r:localhost', sender: a, type: 'm.room.name', state_key: '', origin_server_ts: 1 };
    const first = buildEvent({ ...draft, content: { name: 'one' }, depth: 1 }, '11');
    const second = buildEvent({ ...draft, content: { name: 'two' }, depth: 2, unsigned: replacedStateUnsigned(first) }, '11');
    expect(toClientEvent(second, { now: 1 }).unsigned?.prev_content).toEqual({ name: 'one' });
    expect(second.unsigned?.replaces_state).toBe(first.event_id);
    expect(replacedStateUnsigned(undefined)).toEqual({});
  });
});
