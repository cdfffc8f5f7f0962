import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../lib/matrix/canonical-json.ts';
import {
  filterVisibleEvents, isEventVisible, membershipAtEvent, parseHistoryVisibility, type HistoryVisibility,
} from '../../lib/matrix/history-visibility.ts';

const u = '@u:localhost';
const msg = (body: string) => ({ type: 'm.room.message', sender: '@o:localhost', content: { body } as JsonObject });
const member = (membership: string) => ({ type: 'm.room.member', sender: u, state_key: u, content: { membership } as JsonObject });
const hv = (history_visibility: HistoryVisibility) => ({ type: 'm.room.history_visibility', sender: '@o:localhost', state_key: '', content: { history_visibility } });

describe('history visibility of one event', () => {
  const cases: [HistoryVisibility, string | undefined, boolean, boolean][] = [
    ['world_readable', undefined, false, true],
    ['joined', 'join', false, true],
    ['joined', 'invite', true, false],
    ['joined', undefined, true, false],
    ['shared', undefined, true, true],
    ['shared', undefined, false, false],
    ['shared', 'leave', false, false],
    ['invited', 'invite', false, true],
    ['invited', undefined, false, false],
    ['invited', undefined, true, false],
  ];
  it.each(cases)('%s with membership %s (joined after: %s) → %s', (visibility, membership, joinedAfterEvent, expected) => {
    expect(isEventVisible({ visibility, membershipAtEvent: membership, joinedAfterEvent })).toBe(expected);
  });

  it('treats unknown visibility as shared and the user’s own membership event with its own membership', () => {
    expect(parseHistoryVisibility('nonsense')).toBe('shared');
    expect(parseHistoryVisibility(undefined)).toBe('shared');
    expect(membershipAtEvent(member('join'), u, undefined)).toBe('join');
    expect(membershipAtEvent(msg('x'), u, 'invite')).toBe('invite');
  });
});

describe('filtering a timeline', () => {
  const timeline = [msg('before-invite'), member('invite'), msg('while-invited'), member('join'), msg('joined'), member('leave'), msg('after-leave')];
  const bodies = (events: { content: JsonObject }[]) => events.map((e) => e.content.body ?? e.content.membership);

  it('joined: only what was sent while joined, the join itself and the user’s own leave', () => {
    const seen = filterVisibleEvents(timeline, u, { visibilityBefore: 'joined', membershipBefore: undefined, currentlyJoined: false });
    expect(bodies(seen)).toEqual(['join', 'joined', 'leave']);
  });
  it('invited: also what was sent while invited', () => {
    const seen = filterVisibleEvents(timeline, u, { visibilityBefore: 'invited', membershipBefore: undefined, currentlyJoined: false });
    expect(bodies(seen)).toEqual(['invite', 'while-invited', 'join', 'joined', 'leave']);
  });
  it('shared: everything up to the user’s last join period, nothing after they left', () => {
    const seen = filterVisibleEvents(timeline, u, { visibilityBefore: 'shared', membershipBefore: undefined, currentlyJoined: false });
    expect(bodies(seen)).toEqual(['before-invite', 'invite', 'while-invited', 'join', 'joined', 'leave']);
  });
  it('follows visibility changes along the timeline', () => {
    const seen = filterVisibleEvents([msg('a'), hv('world_readable'), msg('b')], u, { visibilityBefore: 'joined', membershipBefore: undefined, currentlyJoined: false });
    expect(bodies(seen)).toEqual(['b']);
  });
});
