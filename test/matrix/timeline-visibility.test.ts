import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import { canSee, membershipAt, membershipBefore, type MembershipChange } from '../../lib/matrix/timeline/visibility.ts';

const u = '@u:localhost';
let n = 0;
function event(depth: number, type = 'm.room.message', extra: Partial<RoomEvent> = {}): RoomEvent {
  n++;
  return {
    event_id: `$e${n}`, room_id: '!r:localhost', sender: '@o:localhost', type, content: { body: 'x' }, origin_server_ts: 0,
    depth, prev_events: [], auth_events: [], hashes: { sha256: '' }, ...extra,
  };
}
const ownMember = (depth: number, membership: string) => event(depth, 'm.room.member', { state_key: u, sender: u, content: { membership } });

describe('history visibility over membership changes by position', () => {
  // Invited at 5, joined at 8, left at 12.
  const history: MembershipChange[] = [
    { position: 5, membership: 'invite' },
    { position: 8, membership: 'join' },
    { position: 12, membership: 'leave' },
  ];
  const viewer = { userId: u, history };

  it('finds the membership in force before a position', () => {
    expect(membershipBefore(history, 5)).toBeUndefined();
    expect(membershipBefore(history, 6)).toBe('invite');
    expect(membershipBefore(history, 9)).toBe('join');
    expect(membershipBefore(history, 13)).toBe('leave');
  });

  it('unsigned.membership (MSC4115): the membership after each event, leave before any', () => {
    expect([2, 6, 9, 13].map((d) => membershipAt(viewer, event(d)))).toEqual(['leave', 'invite', 'join', 'leave']);
    expect([ownMember(5, 'invite'), ownMember(8, 'join'), ownMember(12, 'leave')].map((e) => membershipAt(viewer, e))).toEqual(['invite', 'join', 'leave']);
  });

  it('shared: everything up to the leave (they joined after the early events), nothing after', () => {
    expect([2, 6, 9, 11].map((d) => canSee(viewer, event(d), 'shared'))).toEqual([true, true, true, true]);
    expect(canSee(viewer, event(13), 'shared')).toBe(false);
  });

  it('joined: only while joined', () => {
    expect([2, 6, 9, 11, 13].map((d) => canSee(viewer, event(d), 'joined'))).toEqual([false, false, true, true, false]);
  });

  it('invited: from the invite on, while invited or joined', () => {
    expect([2, 6, 9, 13].map((d) => canSee(viewer, event(d), 'invited'))).toEqual([false, true, true, false]);
  });

  it('world_readable: everything, even for someone never in the room', () => {
    expect(canSee({ userId: u, history: [] }, event(3), 'world_readable')).toBe(true);
    expect(canSee({ userId: u, history: [] }, event(3), 'shared')).toBe(false);
  });

  it('shows users their own join and their own leave under joined visibility', () => {
    expect(canSee(viewer, ownMember(8, 'join'), 'joined')).toBe(true);
    expect(canSee(viewer, ownMember(12, 'leave'), 'joined')).toBe(true);
  });
});
