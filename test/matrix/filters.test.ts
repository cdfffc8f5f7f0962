import { describe, expect, it } from 'vitest';
import type { MatrixError } from '../../lib/matrix/errors.ts';
import {
  includesRoom, lazyLoadedMemberIds, matchesEventFilter, matchesPattern, parseFilterParam, parseRoomEventFilterParam, selectEventFields,
  timelineLimit, validateFilter,
} from '../../lib/matrix/filters.ts';

const errcode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as MatrixError).errcode;
  }
  return undefined;
};

describe('filters', () => {
  it('validates definitions and keeps unknown keys', () => {
    const def = { room: { timeline: { limit: 5, types: ['m.room.*'] }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] }, org_x: 1 };
    expect(validateFilter(def)).toEqual(def);
    expect(errcode(() => validateFilter({ room: { timeline: { limit: 'x' } } }))).toBe('M_BAD_JSON');
    expect(errcode(() => validateFilter({ room: { rooms: ['not-a-room'] } }))).toBe('M_BAD_JSON');
    expect(errcode(() => validateFilter({ event_format: 'xml' }))).toBe('M_BAD_JSON');
    expect(errcode(() => validateFilter({ room: { timeline: { limit: -1 } } }))).toBe('M_BAD_JSON');
    expect(validateFilter({ room: { timeline: { limit: 0 } } })).toEqual({ room: { timeline: { limit: 0 } } });
  });

  it('reads the filter parameter as inline JSON or an id', () => {
    expect(parseFilterParam('42')).toEqual({ id: '42' });
    expect(parseFilterParam('{"room":{"timeline":{"limit":3}}}')).toEqual({ inline: { room: { timeline: { limit: 3 } } } });
    expect(errcode(() => parseFilterParam('{bad'))).toBe('M_BAD_JSON');
    expect(parseRoomEventFilterParam('{"lazy_load_members":true}')).toEqual({ lazy_load_members: true });
    expect(parseRoomEventFilterParam(undefined)).toEqual({});
  });

  it('matches types with * wildcards', () => {
    expect(matchesPattern('m.room.*', 'm.room.message')).toBe(true);
    expect(matchesPattern('m.room.*', 'm.roomy')).toBe(false);
    expect(matchesPattern('*', 'anything')).toBe(true);
    expect(matchesPattern('m.room.message', 'm.room.messages')).toBe(false);
    expect(matchesPattern('m.(x)+', 'm.(x)+')).toBe(true);
  });

  it('applies types, not_types, senders, not_senders, rooms, contains_url', () => {
    const msg = { type: 'm.room.message', sender: '@a:l', room_id: '!r:l', content: { body: 'x' } };
    expect(matchesEventFilter(undefined, msg)).toBe(true);
    expect(matchesEventFilter({ types: ['m.room.*'] }, msg)).toBe(true);
    expect(matchesEventFilter({ types: ['m.room.*'], not_types: ['m.room.message'] }, msg)).toBe(false);
    expect(matchesEventFilter({ types: [] }, msg)).toBe(false);
    expect(matchesEventFilter({ senders: ['@b:l'] }, msg)).toBe(false);
    expect(matchesEventFilter({ not_senders: ['@a:l'] }, msg)).toBe(false);
    expect(matchesEventFilter({ senders: ['@a:l'], rooms: ['!r:l'] }, msg)).toBe(true);
    expect(matchesEventFilter({ not_rooms: ['!r:l'] }, msg)).toBe(false);
    expect(matchesEventFilter({ contains_url: true }, msg)).toBe(false);
    expect(matchesEventFilter({ contains_url: true }, { ...msg, content: { url: 'mxc://a/b' } })).toBe(true);
  });

  it('includes rooms and gives the timeline limit', () => {
    expect(includesRoom({ room: { rooms: ['!a:l'] } }, '!b:l')).toBe(false);
    expect(includesRoom({ room: { not_rooms: ['!a:l'] } }, '!a:l')).toBe(false);
    expect(includesRoom({}, '!a:l')).toBe(true);
    expect(timelineLimit({})).toBe(10);
    expect(timelineLimit({ room: { timeline: { limit: 3 } } })).toBe(3);
    // A huge limit is capped as Synapse caps it (filter_timeline_limit): one sync cannot read whole histories.
    expect(timelineLimit({ room: { timeline: { limit: 1_000_000 } } })).toBe(100);
  });

  it('selects event fields, with escaped dots', () => {
    const event = { type: 't', content: { body: 'b', 'm.key': 1, other: 2 }, sender: '@a:l' };
    expect(selectEventFields(event, ['type', 'content.body', 'content.m\\.key'])).toEqual({ type: 't', content: { body: 'b', 'm.key': 1 } });
    expect(selectEventFields(event, undefined)).toBe(event);
  });

  it('names the members a lazy-loading client needs', () => {
    expect([...lazyLoadedMemberIds([{ sender: '@a:l' }, { sender: '@b:l' }, { sender: '@a:l' }], '@me:l')].sort()).toEqual(['@a:l', '@b:l', '@me:l']);
  });
});
