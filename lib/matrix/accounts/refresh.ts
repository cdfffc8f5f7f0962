// Refresh tokens (spec v1.3): `refresh_token: true` on /login and /register gives an access token
// that expires and a refresh token; POST /refresh exchanges the refresh token for a new pair.
//
// A refresh token names its user and device, `syr_<user id b64url>.<device id b64url>.<256 random
// bits b64url>` ('.' is no base64url character), and only its sha256 is stored, on the device (lib/matrix/pstates.ts `devices`): so a
// refresh is an `account.refresh` command in the user's order, decided by the users topology
// against the device (lib/matrix/accounts/apply.ts), exactly once, and the refresh tokens of a
// device go with it (logout, deletion, deactivation) with no item of their own to remove.
import { randomBytes } from 'node:crypto';
import { submit } from '../commands.ts';
import { unknownToken } from '../errors.ts';
import { generateAccessToken, hashAccessToken } from '../passwords.ts';
import { parseUserId, serverName } from '../ids.ts';
import { MAX_DEVICE_ID_LENGTH, type AccountCommandOf } from './commands.ts';

/** Synapse's default `refreshable_access_token_lifetime`: 5 minutes. */
export const DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;

/** How long an access token issued with a refresh token lives: AXON_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS (ms), else 5 minutes. */
export function refreshableAccessTokenLifetimeMs(): number {
  const raw = process.env.AXON_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS;
  const value = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS;
}

export function generateRefreshToken(userId: string, deviceId: string): string {
  return `syr_${Buffer.from(userId).toString('base64url')}.${Buffer.from(deviceId).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/** The user and device a refresh token names, or undefined when it is not one of Axon's. */
export function parseRefreshToken(token: string): { userId: string; deviceId: string } | undefined {
  if (!token.startsWith('syr_')) return undefined;
  const parts = token.slice(4).split('.');
  if (parts.length !== 3) return undefined;
  const [user, device, random] = parts as [string, string, string];
  const b64 = /^[A-Za-z0-9_-]+$/;
  if (!b64.test(user) || !b64.test(device) || !b64.test(random)) return undefined;
  const userId = Buffer.from(user, 'base64url').toString('utf8');
  const deviceId = Buffer.from(device, 'base64url').toString('utf8');
  if (parseUserId(userId)?.serverName !== serverName() || deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH || deviceId.includes('\uFFFD')) return undefined;
  return { userId, deviceId };
}

export interface RefreshResult {
  access_token: string;
  refresh_token: string;
  expires_in_ms: number;
}

/**
 * POST /refresh: a new access token and refresh token for the device the refresh token names.
 * Unknown, used or malformed refresh tokens, and those of gone devices, are 401 M_UNKNOWN_TOKEN.
 */
export async function refreshSession(refreshToken: string): Promise<RefreshResult> {
  const named = parseRefreshToken(refreshToken);
  if (!named) throw unknownToken();
  const accessToken = generateAccessToken(parseUserId(named.userId)!.localpart);
  const newRefreshToken = generateRefreshToken(named.userId, named.deviceId);
  const lifetime = refreshableAccessTokenLifetimeMs();
  const ts = Date.now();
  const command: AccountCommandOf<'account.refresh'> = {
    kind: 'account.refresh',
    userId: named.userId,
    ts,
    deviceId: named.deviceId,
    refreshHash: hashAccessToken(refreshToken),
    tokenHash: hashAccessToken(accessToken),
    newRefreshHash: hashAccessToken(newRefreshToken),
    expiresTs: ts + lifetime,
  };
  await submit('users', named.userId, command);
  return { access_token: accessToken, refresh_token: newRefreshToken, expires_in_ms: lifetime };
}
