// The pure rules of typing, presence and receipts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyPresenceUpdates, IDLE_AFTER_MS, OFFLINE_AFTER_MS, presenceView } from '../../lib/matrix/ephemeral/presence.ts';
import { parseReceiptKey, receiptEvent, receiptKey, visibleTo } from '../../lib/matrix/ephemeral/receipts.ts';
import { ephemeralCursorFromJson, ephemeralCursorToJson } from '../../lib/matrix/ephemeral/cursor.ts';
import {
  applyTypingUpdates,
  clampTypingTimeout,
  DEFAULT_TYPING_TIMEOUT_MS,
  expiredBetween,
  MAX_TYPING_TIMEOUT_MS,
  typingUsers,
} from '../../lib/matrix/ephemeral/typing.ts';

describe('typing', () => {
  it('defaults to 30 s and caps at 120 s, as Synapse', () => {
    expect(clampTypingTimeout(undefined)).toBe(DEFAULT_TYPING_TIMEOUT_MS);
    expect(clampTypingTimeout(10 * 60_000)).toBe(MAX_TYPING_TIMEOUT_MS);
    expect(clampTypingTimeout(5_000)).toBe(5_000);
  });

  it('lets the latest update of each user win, and drops expired users', () => {
    const set = applyTypingUpdates(
      { '@old:x': 500, '@kept:x': 5_000 },
      [
        { userId: '@a:x', typing: true, timeoutMs: 1_000, at: 1_000 },
        { userId: '@b:x', typing: true, timeoutMs: 1_000, at: 1_000 },
        { userId: '@a:x', typing: false, timeoutMs: 0, at: 1_100 },
        { userId: '@b:x', typing: true, timeoutMs: 3_000, at: 1_200 },
      ],
      1_200,
    );
    expect(set).toEqual({ '@kept:x': 5_000, '@b:x': 4_200 });
    expect(typingUsers(set, 4_199)).toEqual(['@b:x', '@kept:x']);
    expect(typingUsers(set, 4_200)).toEqual(['@kept:x']);
    expect(expiredBetween(set, 4_000, 4_300)).toBe(true);
    expect(expiredBetween(set, 4_200, 4_900)).toBe(false);
  });

  it('folding in one batch equals folding update by update (any split of a burst)', () => {
    const update = fc.record({
      userId: fc.constantFrom('@a:x', '@b:x', '@c:x'),
      typing: fc.boolean(),
      timeoutMs: fc.integer({ min: 0, max: 2_000 }),
      dt: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 30 }), fc.integer({ min: 0, max: 30 }), (raw, cut) => {
        let at = 0;
        const updates = raw.map((u) => ({ userId: u.userId, typing: u.typing, timeoutMs: u.timeoutMs, at: (at += u.dt) }));
        const end = at;
        const whole = applyTypingUpdates({}, updates, end);
        const k = Math.min(cut, updates.length);
        const mid = updates[k - 1]?.at ?? 0;
        const split = applyTypingUpdates(applyTypingUpdates({}, updates.slice(0, k), mid), updates.slice(k), end);
        expect(typingUsers(split, end)).toEqual(typingUsers(whole, end));
      }),
    );
  });
});

describe('presence', () => {
  const t0 = 1_000_000;
  it('decays from online to unavailable to offline with inactivity, computed at read time', () => {
    const stored = applyPresenceUpdates(undefined, [{ presence: 'online', statusMsg: 'hi', at: t0 }]);
    expect(presenceView(stored, t0 + 1_000)).toEqual({ presence: 'online', last_active_ago: 1_000, currently_active: true, status_msg: 'hi' });
    expect(presenceView(stored, t0 + IDLE_AFTER_MS + 1)).toMatchObject({ presence: 'unavailable', currently_active: false });
    expect(presenceView(stored, t0 + OFFLINE_AFTER_MS + 1)).toMatchObject({ presence: 'offline', currently_active: false });
    expect(presenceView(undefined, t0)).toEqual({ presence: 'offline' });
  });

  it('keeps the status message unless told, and counts only going online as activity', () => {
    let stored = applyPresenceUpdates(undefined, [{ presence: 'online', statusMsg: 'busy', at: t0, deviceId: 'PHONE' }]);
    stored = applyPresenceUpdates(stored, [{ presence: 'unavailable', at: t0 + 10, deviceId: 'DESK' }]);
    expect(stored).toEqual({ presence: 'unavailable', statusMsg: 'busy', lastActiveTs: t0, activeDeviceId: 'PHONE' });
    stored = applyPresenceUpdates(stored, [{ presence: 'online', statusMsg: null, at: t0 + 20 }]);
    expect(stored).toEqual({ presence: 'online', statusMsg: '', lastActiveTs: t0 + 20, activeDeviceId: '' });
  });

  it('reads an item stored before the active device was kept as of an unknown device', () => {
    const old = { presence: 'online', statusMsg: '', lastActiveTs: t0 } as unknown as Parameters<typeof applyPresenceUpdates>[0];
    expect(applyPresenceUpdates(old, [{ presence: 'unavailable', at: t0 + 1 }])).toEqual({ presence: 'unavailable', statusMsg: '', lastActiveTs: t0, activeDeviceId: '' });
  });
});

describe('receipts', () => {
  it('round-trips keys and hides private receipts from everyone but their owner', () => {
    const key = receiptKey('m.read.private', '$thread', '@a:x');
    expect(parseReceiptKey(key)).toEqual({ type: 'm.read.private', threadId: '$thread', userId: '@a:x' });
    expect(visibleTo('@a:x', key)).toBe(true);
    expect(visibleTo('@b:x', key)).toBe(false);
    expect(visibleTo('@b:x', receiptKey('m.read', '', '@a:x'))).toBe(true);
  });

  it('builds m.receipt content keyed by event, type and user', () => {
    const r = (eventId: string, threadId = '') => ({ eventId, ts: 5, threadId, position: 1, seq: '1' });
    expect(receiptEvent([])).toBeUndefined();
    expect(receiptEvent([[receiptKey('m.read', '', '@a:x'), r('$e')], [receiptKey('m.read', 'main', '@b:x'), r('$e', 'main')]])).toEqual({
      type: 'm.receipt',
      content: { $e: { 'm.read': { '@a:x': { ts: 5 }, '@b:x': { ts: 5, thread_id: 'main' } } } },
    });
  });
});

describe('ephemeral sync cursor', () => {
  it('round-trips through JSON and refuses anything else', () => {
    const cursor = { positions: { 'shardId-000000000000': '49650'.padStart(129, '0') }, at: 1234 };
    expect(ephemeralCursorFromJson(JSON.parse(JSON.stringify(ephemeralCursorToJson(cursor))))).toEqual(cursor);
    for (const bad of [null, [], { t: -1, p: {} }, { t: 1, p: { s: 'x' } }, { t: 1.5, p: {} }, { t: 1 }]) expect(ephemeralCursorFromJson(bad)).toBeUndefined();
  });
});
