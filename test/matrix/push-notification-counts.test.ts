// The pure rules of unread notification counts: which events notify a member, and what a read
// receipt does to stored counts.
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import {
  clearsRoomCounts,
  eventNotification,
  receiptEffect,
  recountedCounts,
  unreadNotifications,
  type RoomPushFacts,
} from '../../lib/matrix/notification-counts.ts';
import { countedByMember } from '../../lib/matrix/notifications/count-events.ts';
import { parsePowerLevels } from '../../lib/matrix/power-levels.ts';
import { defaultPushRules, putPushRule } from '../../lib/matrix/push-rules.ts';

const alice = '@alice:localhost';
const bob = '@bob:localhost';
const carol = '@carol:localhost';
const roomId = '!room:localhost';

const facts = (memberCount = 3, users: Record<string, number> = { [alice]: 100 }): RoomPushFacts => ({
  memberCount,
  powerLevels: parsePowerLevels({ users }),
  displayNames: new Map([[alice, 'Alice'], [bob, 'Bobby'], [carol, undefined]]),
});

let depth = 0;
function event(sender: string, content: Record<string, unknown>, type = 'm.room.message', stateKey?: string): RoomEvent {
  depth += 1;
  return {
    event_id: `$e${depth}`, room_id: roomId, sender, type, content, depth, origin_server_ts: 0,
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
  } as unknown as RoomEvent;
}

describe('eventNotification', () => {
  it('a message notifies other members, not its sender', () => {
    const msg = event(alice, { msgtype: 'm.text', body: 'hi' });
    expect(eventNotification(defaultPushRules(bob), msg, bob, facts())).toMatchObject({ highlight: false });
    expect(eventNotification(defaultPushRules(alice), msg, alice, facts())).toBeUndefined();
  });

  it('an intentional mention highlights only the mentioned user', () => {
    const msg = event(alice, { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [bob] } });
    expect(eventNotification(defaultPushRules(bob), msg, bob, facts())?.highlight).toBe(true);
    expect(eventNotification(defaultPushRules(carol), msg, carol, facts())?.highlight).toBe(false);
  });

  it('a room mention highlights only when the sender may notify the room', () => {
    const msg = (sender: string) => event(sender, { msgtype: 'm.text', body: 'all', 'm.mentions': { room: true } });
    expect(eventNotification(defaultPushRules(bob), msg(alice), bob, facts())?.highlight).toBe(true);
    expect(eventNotification(defaultPushRules(alice), msg(carol), alice, facts())?.highlight).toBe(false);
  });

  it('notices, member events and edits do not notify', () => {
    const rules = defaultPushRules(bob);
    expect(eventNotification(rules, event(alice, { msgtype: 'm.notice', body: 'bot' }), bob, facts())).toBeUndefined();
    expect(eventNotification(rules, event(carol, { membership: 'join' }, 'm.room.member', carol), bob, facts())).toBeUndefined();
    const edit = event(alice, { msgtype: 'm.text', body: '* x', 'm.relates_to': { rel_type: 'm.replace', event_id: '$e1' } });
    expect(eventNotification(rules, edit, bob, facts())).toBeUndefined();
  });

  it('a room rule with no actions mutes the room', () => {
    const muted = putPushRule(defaultPushRules(bob), 'room', roomId, { actions: [] });
    expect(eventNotification(muted, event(alice, { msgtype: 'm.text', body: 'hi' }), bob, facts())).toBeUndefined();
  });

  it('a display name rule sees the member display name', () => {
    const rules = putPushRule(defaultPushRules(bob), 'override', 'name', {
      actions: ['notify', { set_tweak: 'highlight' }],
      conditions: [{ kind: 'contains_display_name' }],
    });
    expect(eventNotification(rules, event(alice, { msgtype: 'm.notice', body: 'ping Bobby!' }), bob, facts())?.highlight).toBe(true);
    expect(eventNotification(rules, event(alice, { msgtype: 'm.notice', body: 'ping Bobbyx' }), bob, facts())).toBeUndefined();
  });
});

describe('countedByMember', () => {
  it('gathers each member\'s notifying positions of a record, in order, with highlights', () => {
    const events = [
      event(alice, { msgtype: 'm.text', body: 'one' }),
      event(bob, { msgtype: 'm.text', body: 'two', 'm.mentions': { user_ids: [carol] } }),
    ];
    const counted = countedByMember(events, [alice, bob, carol], (e, userId) => eventNotification(defaultPushRules(userId), e, userId, facts()));
    expect(counted).toEqual([
      { userId: alice, positions: [events[1]!.depth], highlights: 0 },
      { userId: bob, positions: [events[0]!.depth], highlights: 0 },
      { userId: carol, positions: [events[0]!.depth, events[1]!.depth], highlights: 1 },
    ]);
  });
});

describe('receipts', () => {
  const stored = { notifications: 3, highlights: 1, position: 10, readPosition: 4 };

  it('only unthreaded and main-timeline receipts clear room counts', () => {
    expect(clearsRoomCounts('')).toBe(true);
    expect(clearsRoomCounts('main')).toBe(true);
    expect(clearsRoomCounts('$thread')).toBe(false);
  });

  it('a receipt at or past the last counted event clears the counts', () => {
    expect(receiptEffect(stored, 10)).toEqual({ kind: 'set', counts: { notifications: 0, highlights: 0, position: 10, readPosition: 10 } });
    expect(receiptEffect(stored, 12)).toEqual({ kind: 'set', counts: { notifications: 0, highlights: 0, position: 12, readPosition: 12 } });
    expect(receiptEffect(undefined, 2)).toEqual({ kind: 'set', counts: { notifications: 0, highlights: 0, position: 2, readPosition: 2 } });
  });

  it('a receipt before the last counted event asks for a recount of what follows it', () => {
    expect(receiptEffect(stored, 7)).toEqual({ kind: 'recount', from: 7, to: 10 });
    expect(recountedCounts(stored, 7, [undefined, { actions: ['notify'], highlight: true }, { actions: ['notify'], highlight: false }])).toEqual({
      notifications: 2, highlights: 1, position: 10, readPosition: 7,
    });
  });

  it('a receipt not past the one already folded changes nothing', () => {
    expect(receiptEffect(stored, 4)).toEqual({ kind: 'none' });
    expect(receiptEffect(stored, 3)).toEqual({ kind: 'none' });
  });

  it('no stored counts read as zero', () => {
    expect(unreadNotifications(undefined)).toEqual({ notification_count: 0, highlight_count: 0 });
    expect(unreadNotifications(stored)).toEqual({ notification_count: 3, highlight_count: 1 });
  });
});
