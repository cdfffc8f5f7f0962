// The commands of the users depot that the users topology applies, in order per user. HTTP
// operations build them after checking what needs no ordering (input, passwords); everything that
// depends on the user's current state (taken name, devices, deactivation) is decided in order by
// the topology. Only hashes travel: scrypt hashes of passwords, sha256 of access tokens.
import { z } from 'zod';
import { chars, id, text } from '../command-fields.ts';
import { isMediaCommandKind, mediaCommand } from '../media/commands.ts';
import { isRegistrationTokenCommandKind, registrationTokenCommand } from '../registration-tokens/commands.ts';

/** Longer passwords are refused (Synapse's limit): scrypt cost should not be the client's choice. */
export const MAX_PASSWORD_LENGTH = 512;
export const MAX_DEVICE_ID_LENGTH = 255;
/** Synapse's limits on a device's display name, a profile's display name and avatar URL (characters). */
export const MAX_DEVICE_NAME_LENGTH = 100;
export const MAX_DISPLAYNAME_LENGTH = 256;
export const MAX_AVATAR_URL_LENGTH = 1000;

/** Hashes (scrypt of a password, sha256 of a token) and IPs are server-made; bounded all the same. */
const hash = text(1024, { nonEmpty: true });
const deviceId = text(MAX_DEVICE_ID_LENGTH, { nonEmpty: true });
const deviceName = chars(MAX_DEVICE_NAME_LENGTH);

/** A new device session: a device (new or reused) and its access token's hash. */
const newSession = z.object({
  deviceId,
  displayName: deviceName.optional(),
  tokenHash: hash,
  ip: text(255),
  /** Asked for with `refresh_token: true`: the refresh token's hash, and when the access token expires. */
  refreshHash: hash.optional(),
  expiresTs: z.number().optional(),
});
export type NewSession = z.infer<typeof newSession>;

const base = { userId: id, ts: z.number() };

export const accountCommand = z.discriminatedUnion('kind', [
  /** Create the account (refused when the id was ever taken), and log in unless inhibited. */
  /** `registrationToken`: the token the registration used (registration mode `token`), counted once. */
  z.object({
    kind: z.literal('account.register'),
    ...base,
    passwordHash: text(1024),
    displayname: chars(MAX_DISPLAYNAME_LENGTH),
    session: newSession.optional(),
    registrationToken: text(64).optional(),
    admin: z.boolean().optional(),
  }),
  /** Log in: a new device, or a new token for an existing one (its old token dies). */
  z.object({ kind: z.literal('account.login'), ...base, session: newSession }),
  /**
   * Exchange a refresh token (by hash) of the device for a new access token and refresh token: the
   * device's current refresh token, or the one it was refreshed from when the current one is unused
   * (a /refresh sent again: its first answer's pair dies, the new pair replaces it).
   */
  z.object({ kind: z.literal('account.refresh'), ...base, deviceId, refreshHash: hash, tokenHash: hash, newRefreshHash: hash, expiresTs: z.number() }),
  /** Remove devices (logout, DELETE /devices, delete_devices) and their tokens. `all`: every device. */
  z.object({ kind: z.literal('account.removeDevices'), ...base, deviceIds: z.array(deviceId).max(100), all: z.boolean().optional() }),
  /** New password; with `keepDeviceId`, every other device is logged out; with `logoutAll` (an admin's reset), every device. */
  z.object({ kind: z.literal('account.password'), ...base, passwordHash: text(1024), keepDeviceId: deviceId.optional(), logoutAll: z.boolean().optional() }),
  /**
   * Deactivate for good: every token dies, the id stays taken. `erase` (an admin's): the profile
   * goes too and the account is marked erased; an already deactivated account can still be erased.
   */
  z.object({ kind: z.literal('account.deactivate'), ...base, erase: z.boolean().optional() }),
  /** A server admin grants or withdraws the admin flag. */
  z.object({ kind: z.literal('account.setAdmin'), ...base, admin: z.boolean() }),
  z.object({ kind: z.literal('account.updateDevice'), ...base, deviceId, displayName: deviceName }),
  /** A server admin locks, shadow-bans or sets a rate-limit override (null: removes it); absent fields stay as they are. */
  z.object({
    kind: z.literal('account.moderate'),
    ...base,
    locked: z.boolean().optional(),
    shadowBanned: z.boolean().optional(),
    ratelimit: z.object({ messagesPerSecond: z.number().int().nonnegative().max(1_000_000), burstCount: z.number().int().nonnegative().max(1_000_000) }).nullable().optional(),
  }),
  /** Profile fields: a string sets, null removes, absent leaves as is. */
  z.object({
    kind: z.literal('account.profile'),
    ...base,
    displayname: chars(MAX_DISPLAYNAME_LENGTH).nullable().optional(),
    avatarUrl: chars(MAX_AVATAR_URL_LENGTH).nullable().optional(),
  }),
]);
export type AccountCommand = z.infer<typeof accountCommand>;
export type AccountCommandOf<K extends AccountCommand['kind']> = Extract<AccountCommand, { kind: K }>;

/** Commands of this topology are recognised by kind, so other topologies may share the depot. */
export const isAccountCommandKind = (kind: string | undefined): boolean => kind?.startsWith('account.') ?? false;

/** What the users topology applies: account commands, registration tokens (in order per token), admins' media changes (in order per uploader). */
export const usersTopologyCommand = z.discriminatedUnion('kind', [...accountCommand.options, ...registrationTokenCommand.options, ...mediaCommand.options]);
export type UsersTopologyCommand = z.infer<typeof usersTopologyCommand>;
export const isUsersTopologyCommandKind = (kind: string | undefined): boolean => isAccountCommandKind(kind) || isRegistrationTokenCommandKind(kind) || isMediaCommandKind(kind);
export const isAccountCommand = (command: UsersTopologyCommand): command is AccountCommand => isAccountCommandKind(command.kind);

/** Most devices a user may hold, so removing all of them fits in one transaction (2 items each). */
export const MAX_DEVICES_PER_USER = 40;

/**
 * Whether applying the command may have revoked access tokens: logout and device deletion,
 * a password change logging out the other devices, deactivation, a login reusing a device
 * id (the device's old token dies) and a refresh (so does the refreshed one). The WebSocket connections opened with them go too.
 */
export function revokesTokens(command: AccountCommand): boolean {
  switch (command.kind) {
    case 'account.removeDevices':
    case 'account.deactivate':
    case 'account.login':
    case 'account.refresh':
      return true;
    case 'account.password':
      return command.keepDeviceId !== undefined || command.logoutAll === true;
    default:
      return false;
  }
}
