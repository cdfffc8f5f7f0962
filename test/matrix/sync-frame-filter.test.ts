// A connection's sync filter applied to WebSocket frames (lib/matrix/push/frame-filter.ts).
import { describe, expect, it } from 'vitest';
import { filterDelta } from '../../lib/matrix/push/frame-filter.ts';
import type { SyncDelta } from '../../lib/matrix/push/frames.ts';

const message = (id: string, sender: string, type = 'm.room.message') => ({ event_id: id, sender, type, content: { body: id } });

const delta: SyncDelta = {
  rooms: {
    join: {
      '!a': { timeline: { events: [message('$1', '@alice'), message('$2', '@bob'), message('$3', '@alice', 'm.reaction')] }, ephemeral: { events: [{ type: 'm.typing', content: {} }] } },
      '!b': { timeline: { events: [message('$4', '@alice')] } },
    },
    invite: { '!c': { invite_state: { events: [] } } },
    leave: { '!d': { timeline: { events: [message('$5', '@bob', 'm.room.member')] } } },
  },
  presence: { events: [{ type: 'm.presence', sender: '@alice', content: {} }] },
  account_data: { events: [{ type: 'm.direct', content: {} }] },
};

describe('filterDelta', () => {
  it('passes everything without a filter', () => {
    expect(filterDelta(delta, undefined)).toBe(delta);
    expect(filterDelta(delta, {})).toEqual(delta);
  });

  it('drops excluded rooms in every section, and keeps only included ones', () => {
    const excluded = filterDelta(delta, { room: { not_rooms: ['!b', '!c', '!d'] } });
    expect(Object.keys(excluded?.rooms ?? {})).toEqual(['join']);
    expect(Object.keys(excluded?.rooms?.join ?? {})).toEqual(['!a']);
    expect(Object.keys(filterDelta(delta, { room: { rooms: ['!c'] } })?.rooms ?? {})).toEqual(['invite']);
  });

  it('filters timeline events by types and senders, dropping rooms left empty', () => {
    const out = filterDelta(delta, { room: { timeline: { senders: ['@alice'], not_types: ['m.reaction'] } } });
    expect(out?.rooms?.join?.['!a']?.timeline?.events.map((e) => e.event_id)).toEqual(['$1']);
    expect(out?.rooms?.join?.['!b']?.timeline?.events.map((e) => e.event_id)).toEqual(['$4']);
    expect(out?.rooms?.leave).toBeUndefined();
  });

  it('filters presence, account data and ephemeral events, and applies event_fields to timelines', () => {
    const out = filterDelta(delta, { presence: { not_types: ['*'] }, account_data: { types: ['m.other'] }, room: { ephemeral: { not_types: ['m.typing'] } }, event_fields: ['event_id'] });
    expect(out?.presence).toBeUndefined();
    expect(out?.account_data).toBeUndefined();
    expect(out?.rooms?.join?.['!a']).toEqual({ timeline: { events: [{ event_id: '$1' }, { event_id: '$2' }, { event_id: '$3' }] } });
  });

  it('is undefined when nothing is left', () => {
    expect(filterDelta({ presence: delta.presence! }, { presence: { types: ['m.nothing'] } })).toBeUndefined();
    expect(filterDelta({ rooms: { join: { '!a': delta.rooms!.join!['!a']! } } }, { room: { rooms: ['!z'] } })).toBeUndefined();
  });
});
