import { describe, expect, it } from 'vitest';
import {
  applyRedaction, buildEvent, contentHash, referenceHashEventId, toClientEvent, toStrippedState,
} from '../../lib/matrix/events.ts';
import { isValidEventId } from '../../lib/matrix/ids.ts';

// A real create event with its known content hash and reference-hash event id (gomatrixserverlib's
// test vector; room versions 4-10 redact m.room.create the same way).
const realCreate = {
  auth_events: [], prev_events: [], type: 'm.room.create', room_id: '!uXDCzlYgCTHtiWCkEx:jki.re',
  sender: '@erikj:jki.re',
  content: {
    room_version: '5',
    predecessor: { room_id: '!gdRMqOrTFdOCYHNwOo:half-shot.uk', event_id: '$LP7ROBc4b+cMc1UE9haIz8q5AK2AIW4eJ90FfKLvyZI' },
    creator: '@erikj:jki.re',
  },
  depth: 1, prev_state: [], state_key: '', origin: 'jki.re', origin_server_ts: 1560284621137,
  hashes: { sha256: 'IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc' },
  signatures: { 'jki.re': { 'ed25519:auto': 'O4IyFfF2PPtGp5uaDm8t57dZbdh8vc8Q64LgCwvzYRVItAMI0uisfiAFaxkVT7MRpzh6N2QNN5NMRXZKmgPYDA' } },
  unsigned: { age: 1321650 },
};

describe('event ids and hashes', () => {
  it('computes the known content hash and reference hash of a real event', () => {
    expect(contentHash(realCreate)).toBe('IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc');
    expect(referenceHashEventId(realCreate, '10')).toBe('$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438');
    // v11 keeps the whole create content and drops `origin`/`prev_state`, so the id differs.
    expect(referenceHashEventId(realCreate, '11')).not.toBe('$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438');
  });

  it('computes a content hash of a v11-era event (published vector)', () => {
    const member = {
      auth_events: ['$amxREh8Yxdn7Ajg1isWwiE8vThUUrMTMeAn9vK4iANA', '$sQzYfaDpsQJg93gkc-0KBVzcKgBTjuzPUQ31aGFxEj4'],
      content: { membership: 'join' }, depth: 1399, origin_server_ts: 1759753025984,
      prev_events: ['$jtmwoL0SodCgNmjPwlPdhUVsAIA-elkCs_FI6VO78dQ'],
      room_id: '!ljI2RJQdNNdO7hOrzMPrACPxwQZiKxMJhCTJtMXx-hw',
      sender: '@ferretcannon:ferretcannon.roflcopter.wtf', state_key: '@ferretcannon:ferretcannon.roflcopter.wtf',
      type: 'm.room.member',
    };
    expect(contentHash(member)).toBe('x8vNFczuKAWlLMO+F7XWzAZRCS0zlplC6l7HcxihZfQ');
  });

  const draft = {
    room_id: '!r:localhost', sender: '@a:localhost', type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'hi' }, origin_server_ts: 1000, depth: 5, prev_events: ['$prev'],
  };

  it('builds events whose ids are url-safe, stable and differ with content', () => {
    const a = buildEvent(draft, '11');
    expect(isValidEventId(a.event_id)).toBe(true);
    expect(buildEvent(draft, '11').event_id).toBe(a.event_id);
    expect(buildEvent({ ...draft, content: { msgtype: 'm.text', body: 'ho' } }, '11').event_id).not.toBe(a.event_id);
    expect(buildEvent({ ...draft, depth: 6 }, '11').event_id).not.toBe(a.event_id);
    expect(referenceHashEventId(a, '11')).toBe(a.event_id);
  });

  it('keeps the event id when the event is redacted', () => {
    const a = buildEvent(draft, '11');
    const redaction = buildEvent({ ...draft, type: 'm.room.redaction', content: {}, redacts: a.event_id, depth: 6 }, '11');
    expect(redaction.content.redacts).toBe(a.event_id);
    const redacted = applyRedaction(a, toClientEvent(redaction, { now: 2000 }), '11');
    expect(redacted.content).toEqual({});
    expect(redacted.event_id).toBe(a.event_id);
    expect(referenceHashEventId(redacted, '11')).toBe(a.event_id);
    expect(toClientEvent(redacted, { now: 2000 }).unsigned?.redacted_because?.event_id).toBe(redaction.event_id);
  });

  it('places `redacts` at the top level in v10 and shows it there to clients in both versions', () => {
    const v10 = buildEvent({ ...draft, type: 'm.room.redaction', content: { reason: 'spam' }, redacts: '$x' }, '10');
    expect(v10.redacts).toBe('$x');
    expect(v10.content).toEqual({ reason: 'spam' });
    expect(toClientEvent(v10, { now: 0 }).redacts).toBe('$x');
    const v11 = buildEvent({ ...draft, type: 'm.room.redaction', content: {}, redacts: '$x' }, '11');
    expect(v11.redacts).toBeUndefined();
    expect(toClientEvent(v11, { now: 0 }).redacts).toBe('$x');
  });
});

describe('client event format', () => {
  const event = buildEvent(
    {
      room_id: '!r:localhost', sender: '@a:localhost', type: 'm.room.topic', state_key: '', content: { topic: 'new' },
      origin_server_ts: 1000, depth: 3,
      unsigned: { prev_content: { topic: 'old' }, transaction: { device_id: 'DEV', txn_id: 't1' } },
    },
    '11',
  );

  it('adds age, prev_content and the transaction id for the sending device only', () => {
    const own = toClientEvent(event, { now: 1500, requester: { user_id: '@a:localhost', device_id: 'DEV' } });
    expect(own).toMatchObject({ event_id: event.event_id, room_id: '!r:localhost', state_key: '', type: 'm.room.topic' });
    expect(own.unsigned).toEqual({ age: 500, prev_content: { topic: 'old' }, transaction_id: 't1' });
    const otherDevice = toClientEvent(event, { now: 1500, requester: { user_id: '@a:localhost', device_id: 'OTHER' } });
    expect(otherDevice.unsigned?.transaction_id).toBeUndefined();
    const otherUser = toClientEvent(event, { now: 1500, requester: { user_id: '@b:localhost', device_id: 'DEV' } });
    expect(otherUser.unsigned?.transaction_id).toBeUndefined();
    expect(toClientEvent(event, { now: 1500, omitRoomId: true }).room_id).toBeUndefined();
    expect(Object.keys(own)).not.toContain('hashes');
    expect(Object.keys(own)).not.toContain('depth');
  });

  it('strips state for invites', () => {
    expect(toStrippedState(event)).toEqual({ content: { topic: 'new' }, sender: '@a:localhost', state_key: '', type: 'm.room.topic' });
  });
});
