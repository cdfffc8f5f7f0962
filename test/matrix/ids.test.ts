import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatRoomAlias, formatUserId, generateDeviceId, generateRoomId, isValidLocalpart, isValidRoomId,
  isValidServerName, parseRoomAlias, validateNewUsername, parseUserId, randomLetters, serverName, userIdFromIdentifier,
} from '../../lib/matrix/ids.ts';

describe('identifiers', () => {
  it('defaults the server name to localhost', () => {
    expect(serverName()).toBe(process.env.AXON_SERVER_NAME ?? 'localhost');
  });

  it('validates server names', () => {
    for (const ok of ['localhost', 'example.com', 'example.com:8448', '1.2.3.4', '[1234:5678::abcd]:8008']) {
      expect(isValidServerName(ok)).toBe(true);
    }
    for (const bad of ['', 'exa mple.com', 'example.com:', 'a_b.com', 'x:abc']) expect(isValidServerName(bad)).toBe(false);
  });

  it('accepts the localpart grammar for new users only', () => {
    expect(isValidLocalpart('alice.b=c-d/e+f_9')).toBe(true);
    for (const bad of ['Alice', 'al ice', 'al:ice', '', 'é']) expect(isValidLocalpart(bad)).toBe(false);
    expect(() => formatUserId('Alice', 'localhost')).toThrow();
    expect(formatUserId('alice', 'example.org')).toBe('@alice:example.org');
  });

  it('parses historical user ids but refuses malformed ones', () => {
    expect(parseUserId('@Alice!:example.org')).toEqual({ localpart: 'Alice!', serverName: 'example.org' });
    expect(parseUserId('@alice:example.org:8448')).toEqual({ localpart: 'alice', serverName: 'example.org:8448' });
    for (const bad of ['alice:example.org', '@alice', '@:example.org', '@al ice:example.org', `@${'a'.repeat(250)}:example.org`]) {
      expect(parseUserId(bad)).toBeUndefined();
    }
  });

  it('checks usernames asked for at registration', () => {
    expect(validateNewUsername('bob', 'localhost')).toBe('@bob:localhost');
    const errcode = (name: string) => {
      try {
        validateNewUsername(name, 'localhost');
      } catch (error) {
        return (error as { errcode: string }).errcode;
      }
      return undefined;
    };
    expect(errcode('Bob')).toBe('M_INVALID_USERNAME');
    expect(errcode('b ob')).toBe('M_INVALID_USERNAME');
    expect(errcode('_bridge')).toBe('M_INVALID_USERNAME');
    expect(errcode('')).toBe('M_INVALID_USERNAME');
    expect(errcode('a'.repeat(250))).toBe('M_INVALID_PARAM');
  });

  it('reads a login identifier as a localpart or a full id', () => {
    expect(userIdFromIdentifier('Alice', 'localhost')).toBe('@alice:localhost');
    expect(userIdFromIdentifier('@bob:localhost')).toBe('@bob:localhost');
    expect(userIdFromIdentifier('@bob')).toBeUndefined();
  });

  it('formats every valid localpart into a parseable id (property)', () => {
    const localpart = fc.stringMatching(/^[a-z0-9._=\-/+]{1,40}$/);
    fc.assert(
      fc.property(localpart, (lp) => {
        expect(parseUserId(formatUserId(lp, 'localhost'))).toEqual({ localpart: lp, serverName: 'localhost' });
      }),
    );
  });

  it('generates room ids, aliases and device ids', () => {
    const a = generateRoomId('localhost');
    expect(a).toMatch(/^![A-Za-z]{18}:localhost$/);
    expect(isValidRoomId(a)).toBe(true);
    expect(generateRoomId('localhost')).not.toBe(a);
    expect(isValidRoomId('!:localhost')).toBe(false);
    expect(generateDeviceId()).toMatch(/^[A-Z]{10}$/);
    expect(randomLetters(100)).toMatch(/^[A-Za-z]{100}$/);
    expect(parseRoomAlias('#room:example.org')).toEqual({ localpart: 'room', serverName: 'example.org' });
    expect(parseRoomAlias('#:example.org')).toBeUndefined();
    expect(parseRoomAlias('#a b:example.org')).toBeUndefined();
    expect(formatRoomAlias('hq', 'localhost')).toBe('#hq:localhost');
    expect(() => formatRoomAlias('a:b', 'localhost')).toThrow();
  });
});
