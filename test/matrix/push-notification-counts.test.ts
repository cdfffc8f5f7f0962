// The pure rules of unread notification counts: which events notify a member, the room tally's
// base and the members' exceptions of a record, the count formula and what a read receipt does,
// checked against counting each member's events one by one.
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../lib/matrix/events.ts';
import {
  baseNotification,
  clearsRoomCounts,
  countRecord,
  countsAfterReceipt,
  countsOf,
  eventNotification,
  joinedBy,
  plus,
  receiptWindow,
  unreadCounts,
  unreadNotifications,
  ZERO,
  type Counts,
  type MemberCounts,
  type RoomPushFacts,
  type Tally,
} from '../../lib/matrix/notification-counts.ts';
import { parsePowerLevels } from '../../lib/matrix/power-levels.ts';
import { defaultPushRules, putPushRule, type PushRuleset } from '../../lib/matrix/push-rules.ts';

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

describe('base outcome', () => {
  it('is what the default rules give a member who is neither the sender nor mentioned', () => {
    expect(baseNotification(event(alice, { msgtype: 'm.text', body: 'hi' }), facts())).toMatchObject({ highlight: false });
    expect(baseNotification(event(alice, { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [bob] } }), facts())?.highlight).toBe(false);
    expect(baseNotification(event(alice, { msgtype: 'm.notice', body: 'bot' }), facts())).toBeUndefined();
    expect(baseNotification(event(carol, { membership: 'invite' }, 'm.room.member', bob), facts())).toBeUndefined();
  });

  it('applies the room-level facts: @room by power, one-to-one rules by member count', () => {
    const room = (sender: string) => event(sender, { msgtype: 'm.text', body: 'all', 'm.mentions': { room: true } });
    expect(baseNotification(room(alice), facts())?.highlight).toBe(true);
    expect(baseNotification(room(carol), facts())?.highlight).toBe(false);
    const encrypted = event(alice, { algorithm: 'x' }, 'm.room.encrypted');
    expect(baseNotification(encrypted, facts(2))).toBeDefined();
  });
});

describe('joinedBy', () => {
  it('is the member a join makes join, not a profile change over a join', () => {
    expect(joinedBy(event(carol, { membership: 'join' }, 'm.room.member', carol))).toBe(carol);
    const rename = { ...event(carol, { membership: 'join', displayname: 'C' }, 'm.room.member', carol), unsigned: { prev_content: { membership: 'join' } } };
    expect(joinedBy(rename)).toBeUndefined();
    const rejoin = { ...event(carol, { membership: 'join' }, 'm.room.member', carol), unsigned: { prev_content: { membership: 'leave' } } };
    expect(joinedBy(rejoin)).toBe(carol);
    expect(joinedBy(event(carol, { membership: 'leave' }, 'm.room.member', carol))).toBeUndefined();
    expect(joinedBy(event(alice, { msgtype: 'm.text', body: 'x' }))).toBeUndefined();
  });
});

/** Each member's ruleset in the scenarios below. */
const rulesOf = (overrides: Record<string, PushRuleset> = {}) => (userId: string) => overrides[userId] ?? defaultPushRules(userId);

describe('countRecord', () => {
  const own = (rules = rulesOf()) => (e: RoomEvent, userId: string) => eventNotification(rules(userId), e, userId, facts());
  const base = (e: RoomEvent) => baseNotification(e, facts());

  it('a plain message: the tally takes one notification, only the sender is an exception', () => {
    const msg = event(alice, { msgtype: 'm.text', body: 'hi' });
    expect(countRecord([msg], [alice, bob, carol], own(), base)).toEqual({
      first: msg.depth, last: msg.depth, base: { notifications: 1, highlights: 0 },
      exceptions: [{ userId: alice, notifications: -1, highlights: 0 }], joiners: [],
    });
  });

  it('a mention highlights only the mentioned member; a muted member is −1 per message', () => {
    const muted = putPushRule(defaultPushRules(carol), 'override', roomId, {
      actions: ['dont_notify'], conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }],
    });
    const events = [
      event(alice, { msgtype: 'm.text', body: 'bob?', 'm.mentions': { user_ids: [bob] } }),
      event(alice, { msgtype: 'm.text', body: 'more' }),
    ];
    const counted = countRecord(events, [alice, bob, carol], own(rulesOf({ [carol]: muted })), base);
    expect(counted.base).toEqual({ notifications: 2, highlights: 0 });
    expect(counted.exceptions).toEqual([
      { userId: alice, notifications: -2, highlights: 0 },
      { userId: bob, notifications: 0, highlights: 1 },
      { userId: carol, notifications: -2, highlights: 0 },
    ]);
  });

  it('lists the senders\' exceptions first (they go in the tally\'s transaction)', () => {
    const msg = event(carol, { msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [alice] } });
    expect(countRecord([msg], [alice, bob, carol], own(), base).exceptions.map((e) => e.userId)).toEqual([carol, alice]);
  });

  it('a state event or a notice costs nothing; a joiner gets a baseline, not exceptions', () => {
    const join = event(carol, { membership: 'join' }, 'm.room.member', carol);
    const counted = countRecord([join], [alice, bob, carol], own(), base);
    expect(counted).toMatchObject({ base: ZERO, exceptions: [], joiners: [carol] });
    expect(countRecord([event(alice, { msgtype: 'm.notice', body: 'n' })], [alice, bob], own(), base)).toMatchObject({ base: ZERO, exceptions: [] });
  });
});

describe('count formula', () => {
  it('is tally − baseline + exceptions, never below zero; no member item is zero', () => {
    const tally: Tally = { position: 40, notifications: 30, highlights: 4 };
    expect(unreadCounts(tally, { baseNotifications: 25, baseHighlights: 4, notifications: -2, highlights: 1 })).toEqual({ notifications: 3, highlights: 1 });
    expect(unreadCounts(tally, { baseNotifications: 31, baseHighlights: 5 })).toEqual({ notifications: 0, highlights: 0 });
    // No item yet: the member's join is not counted yet.
    expect(unreadCounts(tally, undefined)).toEqual(ZERO);
    expect(unreadCounts(undefined, undefined)).toEqual(ZERO);
    expect(unreadNotifications({ notifications: 3, highlights: 1 })).toEqual({ notification_count: 3, highlight_count: 1 });
  });
});

describe('receipts', () => {
  it('only unthreaded and main-timeline receipts clear room counts', () => {
    expect(clearsRoomCounts('')).toBe(true);
    expect(clearsRoomCounts('main')).toBe(true);
    expect(clearsRoomCounts('$thread')).toBe(false);
  });

  it('the window spans the receipt, the tally and the member\'s exceptions, newest events only', () => {
    const tally = { position: 10, notifications: 5, highlights: 0 };
    expect(receiptWindow({ readPosition: 4, position: 6 }, tally, 7, 200)).toEqual({ from: 7, to: 10 });
    expect(receiptWindow({ readPosition: 4, position: 12 }, tally, 7, 200)).toEqual({ from: 7, to: 12 });
    expect(receiptWindow(undefined, tally, 14, 200)).toEqual({ from: 10, to: 14 });
    expect(receiptWindow(undefined, tally, 3, 5)).toEqual({ from: 5, to: 10 });
    expect(receiptWindow({ readPosition: 4 }, tally, 4, 200)).toBeUndefined();
    expect(receiptWindow({ readPosition: 4 }, tally, 3, 200)).toBeUndefined();
  });

  it('a receipt on the last counted event leaves nothing unread', () => {
    const tally = { position: 10, notifications: 5, highlights: 1 };
    const after = countsAfterReceipt(tally, 10, { to: 10 }, []);
    expect(after).toEqual({ notifications: 0, highlights: 0, baseNotifications: 5, baseHighlights: 1, position: 10, readPosition: 10 });
    expect(unreadCounts(tally, after)).toEqual(ZERO);
  });
});

/**
 * A room's history replayed through the pure rules as the topology and the fold apply them
 * (tally, exceptions guarded by position, joins, receipts), against each member's events counted
 * one by one since their join or receipt.
 */
describe('tally and exceptions against counting each member', () => {
  const dave = '@dave:localhost';
  const muted = putPushRule(defaultPushRules(carol), 'room', roomId, { actions: [] });
  const rules = rulesOf({ [carol]: muted });
  const outcome = (e: RoomEvent, u: string) => eventNotification(rules(u), e, u, facts());
  const base = (e: RoomEvent) => baseNotification(e, facts());

  it('gives every member exactly their own count after messages, mentions, joins and receipts, in any order of delivery', () => {
    const timeline: RoomEvent[] = [];
    const members = new Set([alice, bob, carol]);
    const start = new Map<string, number>([[alice, 0], [bob, 0], [carol, 0]]);
    let tally: Tally = { position: 0, ...ZERO };
    // The members present from the start joined when the tally was 0 (their baselines).
    const items = new Map<string, Partial<MemberCounts>>([...members].map((u) => [u, { baseNotifications: 0, baseHighlights: 0, position: 0 }]));
    const script: (['msg', string, Record<string, unknown>] | ['join', string] | ['read', string, number])[] /* read: the nth event */ = [
      ['msg', alice, { body: 'one' }],
      ['msg', bob, { body: 'two', 'm.mentions': { user_ids: [carol] } }],
      ['read', bob, 1],
      ['msg', alice, { body: 'three', 'm.mentions': { user_ids: [bob] } }],
      ['join', dave],
      ['msg', carol, { body: 'four', 'm.mentions': { room: true } }],
      ['msg', alice, { body: 'five', 'm.mentions': { room: true } }],
      ['read', carol, 3],
      ['read', dave, 5],
      ['msg', dave, { body: 'six' }],
      ['read', bob, 7],
      ['msg', bob, { body: 'seven' }],
    ];
    const deliver = (events: RoomEvent[]) => {
      const counted = countRecord(events, [...members], outcome, base);
      const apply = (key: string, f: (m: Partial<MemberCounts>) => Partial<MemberCounts>) => {
        const m = items.get(key) ?? {};
        if ((m.position ?? -1) < counted.first) items.set(key, { ...f(m), position: counted.last });
      };
      if (tally.position < counted.first) tally = { ...plus(tally, counted.base), position: counted.last };
      for (const u of counted.joiners) apply(u, (m) => ({ ...m, baseNotifications: tally.notifications, baseHighlights: tally.highlights, notifications: 0, highlights: 0 }));
      for (const e of counted.exceptions) apply(e.userId, (m) => ({ ...m, ...plus({ notifications: m.notifications ?? 0, highlights: m.highlights ?? 0 }, e) }));
    };
    for (const step of script) {
      if (step[0] === 'read') {
        const [, userId, nth] = step;
        const position = timeline[nth - 1]!.depth; // the scenario's nth event
        const window = receiptWindow(items.get(userId), tally, position, 200)!;
        const evaluated = timeline
          .filter((e) => e.depth > window.from && e.depth <= window.to)
          .map((e) => ({ position: e.depth, own: outcome(e, userId), base: base(e) }));
        items.set(userId, countsAfterReceipt(tally, position, window, evaluated));
        start.set(userId, position);
        continue;
      }
      const e = step[0] === 'join'
        ? event(step[1], { membership: 'join' }, 'm.room.member', step[1])
        : event(step[1], { msgtype: 'm.text', ...step[2] });
      timeline.push(e);
      if (step[0] === 'join') {
        members.add(step[1]);
        start.set(step[1], e.depth);
      }
      deliver([e]);
      deliver([e]); // a redelivery changes nothing
      for (const u of members) {
        const expected = timeline
          .filter((ev) => ev.depth > start.get(u)!)
          .reduce<Counts>((sum, ev) => plus(sum, countsOf(outcome(ev, u))), ZERO);
        expect(unreadCounts(tally, items.get(u)), `${u} after ${e.depth}`).toEqual(expected);
      }
    }
    // Where the scenario ends (by hand): carol's muted room still highlights @room by alice.
    expect(unreadCounts(tally, items.get(alice))).toEqual({ notifications: 4, highlights: 0 });
    expect(unreadCounts(tally, items.get(bob))).toEqual(ZERO);
    expect(unreadCounts(tally, items.get(carol))).toEqual({ notifications: 1, highlights: 1 });
    expect(unreadCounts(tally, items.get(dave))).toEqual({ notifications: 2, highlights: 1 });
  });

  it('a receipt folded before the tally reached it: the read events are not counted when the tally catches up', () => {
    const events = [event(alice, { msgtype: 'm.text', body: 'a' }), event(alice, { msgtype: 'm.text', body: 'b' }), event(alice, { msgtype: 'm.text', body: 'c' })];
    const counted = (i: number) => countRecord([events[i]!], [alice, bob], outcome, base);
    let tally: Tally = { position: 0, ...ZERO };
    const first = counted(0);
    tally = { ...plus(tally, first.base), position: first.last };
    // Bob reads event 2 (committed, not yet counted).
    const read = events[1]!.depth;
    const window = receiptWindow(undefined, tally, read, 200)!;
    const evaluated = events.filter((e) => e.depth > window.from && e.depth <= window.to).map((e) => ({ position: e.depth, own: outcome(e, bob), base: base(e) }));
    const item = countsAfterReceipt(tally, read, window, evaluated);
    expect(unreadCounts(tally, item)).toEqual(ZERO); // clamped while the tally is behind
    for (const i of [1, 2]) {
      const c = counted(i);
      tally = { ...plus(tally, c.base), position: c.last };
    }
    expect(unreadCounts(tally, item)).toEqual({ notifications: 1, highlights: 0 });
  });
});
