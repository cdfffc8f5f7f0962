// Matrix identifiers (appendix "Identifier Grammar") for a single server: user ids, room ids,
// room aliases, device ids and the opaque random parts they are made of.
import { randomBytes } from 'node:crypto';
import { invalidParam, invalidUsername } from './errors.ts';

/**
 * The server name that every local id ends with (default `localhost`, env AXON_SERVER_NAME).
 * The env is read on each call: the local runtime sets it after modules are loaded.
 */
export function serverName(): string {
  return process.env.AXON_SERVER_NAME ?? 'localhost';
}

// server_name = hostname [ ":" port ]; hostname = IPv4 / "[" IPv6 "]" / dns-name
const serverNamePattern = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::\d{1,5})?$/;

export function isValidServerName(name: string): boolean {
  return serverNamePattern.test(name);
}

/** The localpart grammar for new users: lower-case letters, digits and `._=-/+`. */
const localpartPattern = /^[a-z0-9._=\-/+]+$/;
/** Historical user ids: any printable ASCII except `:` (accepted when parsing, never created). */
const historicalLocalpartPattern = /^[\x21-\x39\x3B-\x7E]+$/;

export const MAX_ID_LENGTH = 255;

export function isValidLocalpart(localpart: string): boolean {
  return localpartPattern.test(localpart);
}

export interface UserId {
  localpart: string;
  serverName: string;
}

/** Parses `@localpart:server`, accepting historical localparts; undefined when not a user id. */
export function parseUserId(userId: string): UserId | undefined {
  if (userId.length > MAX_ID_LENGTH || !userId.startsWith('@')) return undefined;
  const colon = userId.indexOf(':');
  if (colon < 0) return undefined;
  const localpart = userId.slice(1, colon);
  const server = userId.slice(colon + 1);
  if (!historicalLocalpartPattern.test(localpart) || !isValidServerName(server)) return undefined;
  return { localpart, serverName: server };
}

export function isValidUserId(userId: string): boolean {
  return parseUserId(userId) !== undefined;
}

/** The full id of a local user; throws when the localpart breaks the grammar for new users. */
export function formatUserId(localpart: string, server = serverName()): string {
  if (!isValidLocalpart(localpart)) throw new Error(`invalid localpart: ${localpart}`);
  return `@${localpart}:${server}`;
}

/**
 * Checks a username asked for at registration (Synapse's rules): the localpart grammar, not
 * upper-case, not starting with `_` (reserved for application services), full id ≤ 255 chars.
 * Returns the full user id.
 */
export function validateNewUsername(username: string, server = serverName()): string {
  if (username.length === 0) throw invalidUsername('User ID cannot be empty');
  if (username !== username.toLowerCase()) throw invalidUsername('User ID may not contain upper-case letters');
  if (!isValidLocalpart(username)) throw invalidUsername('User ID can only contain characters a-z, 0-9, or "=_-./+"');
  if (username.startsWith('_')) throw invalidUsername('User ID may not begin with _');
  const userId = `@${username}:${server}`;
  if (userId.length > MAX_ID_LENGTH) throw invalidParam(`User ID may not be longer than ${MAX_ID_LENGTH} characters`);
  return userId;
}

/**
 * The user id a login or registration names: a bare localpart or a full id, a local one's localpart
 * lower-cased (Synapse matches local users case-insensitively; Axon's localparts are lower-case).
 * Undefined when it is malformed.
 */
export function userIdFromIdentifier(user: string, server = serverName()): string | undefined {
  if (user.startsWith('@')) {
    const parsed = parseUserId(user);
    if (!parsed) return undefined;
    return parsed.serverName === server ? `@${parsed.localpart.toLowerCase()}:${server}` : user;
  }
  const full = `@${user.toLowerCase()}:${server}`;
  return parseUserId(full) ? full : undefined;
}

export function isLocalUser(userId: string, server = serverName()): boolean {
  return parseUserId(userId)?.serverName === server;
}

/** The server part of any `sigil localpart:server` id. */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(colon + 1);
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random string of ASCII letters (unbiased: rejection sampling over random bytes). */
export function randomLetters(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 208 && out.length < length) out += letters[byte % 52];
    }
  }
  return out;
}

/** A random url-safe opaque id (base64url of `bytes` random bytes, no padding). */
export function randomOpaqueId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

export function generateRoomId(server = serverName()): string {
  return `!${randomLetters(18)}:${server}`;
}

/**
 * `!opaque:server`, or (room v12, MSC4291) `!` + the create event's reference hash, which names
 * no server: code must never read a server out of a room id (domainOf), only out of user ids.
 */
export function isValidRoomId(roomId: string): boolean {
  if (roomId.length > MAX_ID_LENGTH || !roomId.startsWith('!')) return false;
  if (isHashRoomId(roomId)) return true;
  const colon = roomId.indexOf(':');
  return colon > 1 && isValidServerName(roomId.slice(colon + 1));
}

/** A v12 room id: `!` + 43 url-safe base64 characters (a sha256), no server. */
export function isHashRoomId(roomId: string): boolean {
  return /^![A-Za-z0-9_-]{43}$/.test(roomId);
}

export interface RoomAlias {
  localpart: string;
  serverName: string;
}

export function parseRoomAlias(alias: string): RoomAlias | undefined {
  if (alias.length > MAX_ID_LENGTH || !alias.startsWith('#')) return undefined;
  const colon = alias.indexOf(':');
  if (colon < 2) return undefined;
  const localpart = alias.slice(1, colon);
  const server = alias.slice(colon + 1);
  // Aliases may not contain `:` in the localpart, nor whitespace (Synapse refuses both).
  if (/[\s:]/.test(localpart) || !isValidServerName(server)) return undefined;
  return { localpart, serverName: server };
}

export function formatRoomAlias(localpart: string, server = serverName()): string {
  const alias = `#${localpart}:${server}`;
  if (!parseRoomAlias(alias)) throw new Error(`invalid alias localpart: ${localpart}`);
  return alias;
}

/** Device ids are opaque; Synapse uses 10 upper-case letters, which clients display nicely. */
export function generateDeviceId(): string {
  return randomLetters(10).toUpperCase();
}

/** A reference-hash event id (v3+), or a v1/v2 one: the same hash with its server, `$hash:server`. */
export function isValidEventId(eventId: string): boolean {
  const match = /^\$[A-Za-z0-9_-]{43}(?::(.+))?$/.exec(eventId);
  return match !== null && (match[1] === undefined || isValidServerName(match[1]));
}
