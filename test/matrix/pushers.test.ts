// POST /pushers/set bodies: deletes, sets and their refusals; and the /notifications page token.
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { decodeNotificationsToken, encodeNotificationsToken } from '../../lib/matrix/notifications/list.ts';
import { parsePusherRequest, pusherKey } from '../../lib/matrix/pushers.ts';

const body = {
  kind: 'http', app_id: 'a.b.c', pushkey: 'k', app_display_name: 'App', device_display_name: 'Dev', lang: 'en',
  data: { url: 'https://gw.example/_matrix/push/v1/notify', custom: 1 },
};

const errcodeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (e) {
    return e instanceof MatrixError ? e.errcode : 'not a MatrixError';
  }
};

describe('parsePusherRequest', () => {
  it('kind null deletes by app id and pushkey', () => {
    expect(parsePusherRequest({ kind: null, app_id: 'a', pushkey: 'k' })).toEqual({ op: 'delete', appId: 'a', pushkey: 'k' });
  });

  it('keeps custom data, defaults append to false', () => {
    expect(parsePusherRequest(body)).toEqual({ op: 'set', append: false, pusher: body });
    expect(parsePusherRequest({ ...body, append: true, profile_tag: 't' })).toMatchObject({ append: true, pusher: { profile_tag: 't' } });
  });

  it('refuses missing and invalid parameters with the spec errcodes', () => {
    expect(errcodeOf(() => parsePusherRequest({ app_id: 'a', pushkey: 'k' }))).toBe('M_MISSING_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ kind: 'http', app_id: 'a', pushkey: 'k' }))).toBe('M_MISSING_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ ...body, data: { url: 'http://gw/_matrix/push/v1/notify' } }))).toBeUndefined();
    expect(errcodeOf(() => parsePusherRequest({ ...body, data: { url: 'ftp://gw/_matrix/push/v1/notify' } }))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ ...body, data: { url: 'https://gw/', format: 'event_id_only' } }))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ ...body, data: { ...body.data, format: 'full' } }))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ ...body, app_id: 'é'.repeat(64) }))).toBeUndefined();
    expect(errcodeOf(() => parsePusherRequest({ ...body, app_id: 'é'.repeat(65) }))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => parsePusherRequest({ ...body, pushkey: 'é'.repeat(257) }))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => parsePusherRequest([]))).toBe('M_INVALID_PARAM');
  });

  it('keys a pusher by app id and pushkey together', () => {
    expect(pusherKey('a', 'b')).not.toBe(pusherKey('ab', ''));
  });
});

describe('notifications token', () => {
  it('round-trips and refuses garbage', () => {
    expect(decodeNotificationsToken(encodeNotificationsToken({ ts: 12, eventId: '$e' }))).toEqual({ ts: 12, eventId: '$e' });
    expect(errcodeOf(() => decodeNotificationsToken('garbage'))).toBe('M_INVALID_PARAM');
    expect(errcodeOf(() => decodeNotificationsToken(Buffer.from('[1.5,"$e"]').toString('base64url')))).toBe('M_INVALID_PARAM');
  });
});
