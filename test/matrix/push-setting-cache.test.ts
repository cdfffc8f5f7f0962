// The rooms' push settings kept from one record to the next (lib/matrix/notifications/setting-cache.ts):
// used only for the events right after the position they hold for, per room, and dropped by events
// that may change them.
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import { cachedPushSetting, keepPushSetting } from '../../lib/matrix/notifications/setting-cache.ts';
import type { RoomPushSetting } from '../../lib/matrix/notifications/room-facts.ts';
import { parsePowerLevels } from '../../lib/matrix/power-levels.ts';

const setting = (members: string[]): RoomPushSetting => ({
  members,
  facts: { memberCount: members.length, powerLevels: parsePowerLevels({}), displayNames: new Map(members.map((m) => [m, undefined])) },
});
const event = (roomId: string, depth: number, type = 'm.room.message', stateKey?: string): RoomEvent =>
  ({ room_id: roomId, event_id: `$${roomId}-${depth}`, sender: '@a:x', type, content: {}, depth, origin_server_ts: 0, prev_events: [], ...(stateKey !== undefined ? { state_key: stateKey } : {}) }) as unknown as RoomEvent;

describe('the push setting kept between records', () => {
  it('serves the events right after its position, per room, and nothing after a gap', () => {
    const [a, b] = ['!a:x', '!b:x'];
    const inA = setting(['@1:x']);
    const inB = setting(['@2:x']);
    keepPushSetting(a, [event(a, 5)], inA, true);
    keepPushSetting(b, [event(b, 9)], inB, true);
    expect(cachedPushSetting(a, [event(a, 6)])).toBe(inA);
    expect(cachedPushSetting(b, [event(b, 10)])).toBe(inB);
    // Another container appended event 6 (and maybe changed the state): not ours to know.
    expect(cachedPushSetting(a, [event(a, 7)])).toBeUndefined();
    // A message cached again moves the position on.
    keepPushSetting(a, [event(a, 6)], inA, false);
    expect(cachedPushSetting(a, [event(a, 7)])).toBe(inA);
  });

  it('is dropped by a state event or a redaction, unless read after them', () => {
    const r = '!r:x';
    const before = setting(['@1:x']);
    keepPushSetting(r, [event(r, 1)], before, true);
    keepPushSetting(r, [event(r, 2, 'm.room.member', '@2:x')], before, false);
    expect(cachedPushSetting(r, [event(r, 3)])).toBeUndefined();
    keepPushSetting(r, [event(r, 3)], before, true);
    keepPushSetting(r, [event(r, 4, 'm.room.redaction')], before, false);
    expect(cachedPushSetting(r, [event(r, 5)])).toBeUndefined();
    // Read after the member event: it holds for what follows.
    const after = setting(['@1:x', '@2:x']);
    keepPushSetting(r, [event(r, 5), event(r, 6, 'm.room.member', '@2:x')], after, true);
    expect(cachedPushSetting(r, [event(r, 7)])).toBe(after);
  });
});
