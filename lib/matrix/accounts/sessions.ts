// Registration and login: what an HTTP operation does before it submits the account command.
// Password hashing and token generation happen here (never in the topology), and only their
// hashes go into the command.
import { createHash } from 'node:crypto';
import { submit } from '../commands.ts';
import { MatrixError, forbidden, invalidParam, userInUse } from '../errors.ts';
import { generateDeviceId, parseUserId, randomLetters, serverName, userIdFromIdentifier, validateNewUsername } from '../ids.ts';
import { generateAccessToken, hashAccessToken, hashPassword, hashPasswordWithSalt, verifyPasswordOrDummy } from '../passwords.ts';
import { checkFailedAttempts, countFailedAttempt, limitLoginAccount } from './rate-limits.ts';
import { generateRefreshToken, refreshableAccessTokenLifetimeMs } from './refresh.ts';
import { refuseReservedUserId } from './reserved-ids.ts';
import { users } from '../pstates.ts';
import { MAX_DEVICE_ID_LENGTH, MAX_DEVICE_NAME_LENGTH, MAX_PASSWORD_LENGTH, type AccountCommandOf, type NewSession } from './commands.ts';

export { MAX_DEVICE_ID_LENGTH, MAX_DEVICE_NAME_LENGTH, MAX_PASSWORD_LENGTH } from './commands.ts';

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  /** Asked for with `refresh_token: true`: then the access token expires in `expires_in_ms`. */
  refresh_token?: string;
  expires_in_ms?: number;
}

/** Whether an id was ever registered (deactivated accounts keep their id). */
export async function isRegistered(userId: string): Promise<boolean> {
  const user = await users.key(userId).fields(['createdTs']);
  return user?.createdTs !== undefined;
}

/**
 * The user id a username asks for; M_INVALID_USERNAME / M_EXCLUSIVE (reserved: the server notices
 * account's, unless `reserved` is allowed) / M_USER_IN_USE when it cannot be had.
 */
export async function availableUserId(username: string, reserved = false): Promise<string> {
  const userId = validateNewUsername(username);
  if (!reserved) refuseReservedUserId(userId);
  if (await isRegistered(userId)) throw userInUse();
  return userId;
}

function checkPassword(password: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) throw invalidParam(`Password may not be longer than ${MAX_PASSWORD_LENGTH} characters`);
}

function checkDevice(deviceId: string | undefined, displayName: string | undefined): void {
  if (deviceId !== undefined && (deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH)) throw invalidParam('Invalid device_id');
  if (displayName !== undefined && displayName.length > MAX_DEVICE_NAME_LENGTH) throw invalidParam('Device display name too long');
}

interface SessionRequest {
  userId: string;
  deviceId?: string;
  displayName?: string;
  ip: string;
  /** `refresh_token: true`: an expiring access token and a refresh token. */
  refreshToken?: boolean;
}

/** A fresh token for a device; the token leaves only in the response, its hash goes to the depot. */
function newSession(request: SessionRequest): { session: NewSession; result: LoginResult } {
  const accessToken = generateAccessToken(parseUserId(request.userId)!.localpart);
  const deviceId = request.deviceId ?? generateDeviceId();
  const refreshToken = request.refreshToken ? generateRefreshToken(request.userId, deviceId) : undefined;
  const lifetime = refreshableAccessTokenLifetimeMs();
  const session: NewSession = {
    deviceId,
    tokenHash: hashAccessToken(accessToken),
    ip: request.ip,
    ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
    ...(refreshToken !== undefined ? { refreshHash: hashAccessToken(refreshToken), expiresTs: Date.now() + lifetime } : {}),
  };
  const result: LoginResult = { user_id: request.userId, access_token: accessToken, device_id: deviceId, home_server: serverName() };
  if (refreshToken !== undefined) Object.assign(result, { refresh_token: refreshToken, expires_in_ms: lifetime });
  return { session, result };
}

export interface Registration {
  username?: string;
  password?: string;
  deviceId?: string;
  displayName?: string;
  inhibitLogin: boolean;
  ip: string;
  /** The registration token the m.login.registration_token stage was completed with. */
  registrationToken?: string;
  /** Made by a server admin (admin API, `npm run admin`): the new account's admin flag. */
  admin?: boolean;
  /** The server's own account (the notices account), whose id nobody else may register. */
  reserved?: boolean;
  /** `refresh_token: true`: the login is an expiring access token and a refresh token. */
  refreshToken?: boolean;
  /**
   * The UIA session the client completed its stage in. A client whose answer was lost or late (a
   * 503) sends the same request again: with the same session, user id and password it is a retry
   * of this registration and gets a login for the account it made, as Synapse answers a completed
   * session, not M_USER_IN_USE.
   */
  uiaSession?: string;
}

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();

/**
 * The password hash of a registration in a UIA session: salted from the session and the user id,
 * so the same registration sent again hashes to the same string (the account's hash then proves
 * the retry knows the password and the session) while every account still has its own salt.
 */
function registrationPasswordHash(password: string, uiaSession: string | undefined, userId: string): Promise<string> {
  return uiaSession === undefined ? hashPassword(password) : hashPasswordWithSalt(password, sha256('axon registration salt', uiaSession, userId).subarray(0, 16));
}

/**
 * Usernames Axon picks when the client names none: lower-case letters, unlikely to collide; drawn
 * from the UIA session when there is one, so a retry of the same registration asks for the same id.
 */
function generatedUsername(uiaSession: string | undefined): string {
  if (uiaSession === undefined) return `u${randomLetters(12).toLowerCase()}`;
  return `u${[...sha256('axon generated username', uiaSession).subarray(0, 12)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

/**
 * Whether a taken id is the account this very registration made (the same user id, UIA session and
 * password: the stored hash equals the retry's). Passwordless and deactivated accounts never are.
 */
export function isSameRegistration(account: { passwordHash?: string; deactivated?: boolean }, passwordHash: string): boolean {
  return passwordHash !== '' && account.passwordHash === passwordHash && account.deactivated !== true;
}

/** Checks that need no state, before the UIA stage (so a client learns early). */
export function checkRegistration(r: Pick<Registration, 'username' | 'password' | 'deviceId' | 'displayName'>): void {
  if (r.username !== undefined) validateNewUsername(r.username);
  if (r.password !== undefined) checkPassword(r.password);
  checkDevice(r.deviceId, r.displayName);
}

/** The account a registration asks for, its password hash, and whether it exists already (made by this registration: a retry). */
async function registrationAccount(r: Registration): Promise<{ userId: string; passwordHash: string; retry: boolean }> {
  const userId = validateNewUsername(r.username ?? generatedUsername(r.uiaSession));
  if (!r.reserved) refuseReservedUserId(userId);
  // No password: the account cannot log in with one (an empty hash never verifies).
  const passwordHash = r.password !== undefined ? await registrationPasswordHash(r.password, r.uiaSession, userId) : '';
  const taken = await users.key(userId).fields(['createdTs', 'passwordHash', 'deactivated'], { consistent: true });
  if (taken?.createdTs !== undefined && !isSameRegistration(taken, passwordHash)) throw userInUse();
  return { userId, passwordHash, retry: taken?.createdTs !== undefined };
}

/** Whether the registration was already made (sent again): then its stage needs no usable token. */
export async function isRegistrationRetry(r: Registration): Promise<boolean> {
  if (r.uiaSession === undefined || r.username === undefined) return false;
  try {
    return (await registrationAccount(r)).retry;
  } catch (e) {
    if (e instanceof MatrixError) return false;
    throw e;
  }
}

/** The answer to a registration sent again: a login for the account it made (none when login is inhibited). */
async function registeredAgain(r: Registration, userId: string): Promise<LoginResult | { user_id: string }> {
  if (r.inhibitLogin) return { user_id: userId };
  const { session, result } = newSession({ userId, deviceId: r.deviceId, displayName: r.displayName, ip: r.ip, refreshToken: r.refreshToken });
  const command: AccountCommandOf<'account.login'> = { kind: 'account.login', userId, ts: Date.now(), session };
  await submit('users', userId, command);
  return result;
}

/**
 * Register, or, for a registration sent again (isSameRegistration: same UIA session, user id and
 * password), log in to the account it made. The users topology refuses a second account.register
 * of an id whatever its origin, so a retry racing its first request (both passed the check above)
 * learns M_USER_IN_USE from it, and then finds the account its first request made.
 */
export async function register(r: Registration): Promise<LoginResult | { user_id: string }> {
  checkRegistration(r);
  const { userId, passwordHash, retry } = await registrationAccount(r);
  if (retry) return registeredAgain(r, userId);
  try {
    return await registerAccount(r, userId, passwordHash);
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === 'M_USER_IN_USE' && r.uiaSession !== undefined)) throw e;
    const account = await users.key(userId).fields(['passwordHash', 'deactivated'], { consistent: true });
    if (!account || !isSameRegistration(account, passwordHash)) throw e;
    return registeredAgain(r, userId);
  }
}

async function registerAccount(r: Registration, userId: string, passwordHash: string): Promise<LoginResult | { user_id: string }> {
  const login = r.inhibitLogin ? undefined : newSession({ userId, deviceId: r.deviceId, displayName: r.displayName, ip: r.ip, refreshToken: r.refreshToken });
  const command: AccountCommandOf<'account.register'> = {
    kind: 'account.register',
    userId,
    ts: Date.now(),
    passwordHash,
    displayname: parseUserId(userId)!.localpart,
    ...(login ? { session: login.session } : {}),
    ...(r.registrationToken !== undefined ? { registrationToken: r.registrationToken } : {}),
    ...(r.admin ? { admin: true } : {}),
  };
  await submit('users', userId, command);
  return login ? login.result : { user_id: userId };
}

export interface PasswordLogin {
  /** From `identifier.user` (m.id.user) or the deprecated top-level `user`. */
  user: string;
  password: string;
  deviceId?: string;
  displayName?: string;
  ip: string;
  refreshToken?: boolean;
}

const invalidCredentials = () => forbidden('Invalid username or password');

/**
 * A password login. The account's failed attempts are limited (checked before the password, counted
 * when it is wrong) and so are its successful logins (Synapse's rc_login). An unknown user costs
 * the same as a wrong password: same limits, and the password is checked against a dummy hash.
 */
export async function loginWithPassword(l: PasswordLogin): Promise<LoginResult> {
  checkDevice(l.deviceId, l.displayName);
  if (l.password.length > MAX_PASSWORD_LENGTH) throw invalidCredentials();
  const userId = userIdFromIdentifier(l.user);
  if (!userId || parseUserId(userId)?.serverName !== serverName()) {
    await verifyPasswordOrDummy(l.password, undefined);
    throw invalidCredentials();
  }
  const account = userId.toLowerCase();
  await checkFailedAttempts('login', account);
  const user = await users.key(userId).fields(['passwordHash', 'deactivated'], { consistent: true });
  if (!(await verifyPasswordOrDummy(l.password, user?.passwordHash))) {
    await countFailedAttempt('login', account);
    throw invalidCredentials();
  }
  await limitLoginAccount(account);
  if (user!.deactivated) throw new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
  const { session, result } = newSession({ userId, deviceId: l.deviceId, displayName: l.displayName, ip: l.ip, refreshToken: l.refreshToken });
  const command: AccountCommandOf<'account.login'> = { kind: 'account.login', userId, ts: Date.now(), session };
  await submit('users', userId, command);
  return result;
}

