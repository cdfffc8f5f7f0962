// The account endpoints' requests (registration, login, logout, password, deactivation, devices):
// their bodies' schemas and the steps each takes once checked: the UIA stage, the command, then the
// WebSocket connections opened with revoked tokens closed (each answer comes once they are).
import { z } from 'zod';
import { invalidParam, MatrixError, forbidden, missingParam, notFound } from '../errors.ts';
import { dropRevokedConnections } from '../push/revoked.ts';
import { isValidToken } from '../registration-tokens/tokens.ts';
import { parseRequestBody, registerRequest, type loginRequest } from '../request-schemas.ts';
import { changePassword, deactivate, logout, logoutAll, removeDevices, submitAccountCommand } from './account.ts';
import type { Requester } from './authenticate.ts';
import { getDevice } from './devices.ts';
import { limitLoginAddress, limitRegistration } from './rate-limits.ts';
import { parseRefreshToken, refreshSession } from './refresh.ts';
import { registrationMode } from './registration-mode.ts';
import { availableUserId, checkRegistration, isRegistrationRetry, loginWithPassword, MAX_DEVICE_NAME_LENGTH, register } from './sessions.ts';
import { clientSession, invalidRegistrationToken, requireDummyAuth, requirePasswordAuth, requireRegistrationTokenAuth } from './uia.ts';

export const PASSWORD_LOGIN = 'm.login.password';

/** At most this many device ids in one delete_devices (each names at most one device). */
const MAX_DELETE = 100;

export const deactivateRequest = z.looseObject({ auth: z.unknown().optional(), id_server: z.string().optional(), erase: z.boolean().optional() });
export const deleteDeviceRequest = z.looseObject({ auth: z.unknown().optional() });
export const deleteDevicesRequest = z.looseObject({ devices: z.array(z.string()), auth: z.unknown().optional() });

const registrationDisabled = () => forbidden('Registration has been disabled');

/** POST /register: checks in Synapse's order, then the UIA stage of the server's registration mode. */
export async function registerAccount(request: { query: URLSearchParams; body: unknown; sourceIp: string }) {
  const kind = request.query.get('kind') ?? 'user';
  if (kind === 'guest') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not enabled');
  if (kind !== 'user') throw invalidParam(`Unknown kind: ${kind}`);
  // Closed: 403 and no flows, before anything else is looked at (as Synapse answers).
  const mode = registrationMode();
  if (mode === 'closed') throw registrationDisabled();
  // An empty body is an empty object; a JSON null or array is M_BAD_JSON (as Synapse answers).
  const body = parseRequestBody(registerRequest, request.body === undefined ? {} : request.body);
  await limitRegistration(request.sourceIp);
  const uiaSession = clientSession(body.auth);
  const registration = {
    // Synapse downcases the asked-for username (sytest "POST /register downcases capitals").
    ...(body.username !== undefined ? { username: body.username.toLowerCase() } : {}),
    ...(body.password !== undefined ? { password: body.password } : {}),
    ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
    ...(body.initial_device_display_name !== undefined ? { displayName: body.initial_device_display_name } : {}),
    inhibitLogin: body.inhibit_login ?? false,
    ip: request.sourceIp,
    ...(body.refresh_token === true ? { refreshToken: true } : {}),
    ...(uiaSession !== undefined ? { uiaSession } : {}),
  };
  // Refuse a bad or taken name before the UIA stage, as Synapse does, so clients learn it at once;
  // not in a session that may have made the account (a retry: register() tells).
  checkRegistration(registration);
  if (registration.username !== undefined && uiaSession === undefined) await availableUserId(registration.username);
  let registrationToken: string | undefined;
  if (mode === 'token') {
    registrationToken = requireRegistrationTokenAuth(body.auth);
    // A used-up token still lets the registration it made be sent again (a retry).
    if (!(await isValidToken(registrationToken)) && !(await isRegistrationRetry(registration))) throw invalidRegistrationToken(body.auth);
  } else {
    requireDummyAuth(body.auth);
  }
  // Optional in the spec, but an account without one could never pass the password stage again.
  if (registration.password === undefined) throw missingParam('Missing parameter: password');
  try {
    return await register({ ...registration, ...(registrationToken !== undefined ? { registrationToken } : {}) });
  } catch (e) {
    // The users topology counts the use in order: a token used up meanwhile fails the stage.
    if (registrationToken !== undefined && e instanceof MatrixError && e.errcode === 'M_UNAUTHORIZED') throw invalidRegistrationToken(body.auth, e.message);
    throw e;
  }
}

/** GET /_matrix/client/v1/register/m.login.registration_token/validity (spec v1.2). */
export async function registrationTokenValidity(query: URLSearchParams, sourceIp: string) {
  await limitRegistration(sourceIp);
  if (registrationMode() === 'closed') throw registrationDisabled();
  const token = query.get('token');
  if (token === null) throw missingParam('Missing string query parameter "token"');
  return { valid: await isValidToken(token) };
}

/** GET /register/available?username= */
export async function usernameAvailability(query: URLSearchParams) {
  if (registrationMode() === 'closed') throw registrationDisabled();
  const username = query.get('username');
  if (username === null) throw missingParam('Missing parameter: username');
  await availableUserId(username);
  return { available: true };
}

/** POST /login with a checked body: only m.login.password, by user id or m.id.user identifier. */
export async function login(body: z.output<typeof loginRequest>, sourceIp: string) {
  await limitLoginAddress(sourceIp);
  if (body.type !== PASSWORD_LOGIN) throw new MatrixError(400, 'M_UNKNOWN', `Unknown login type ${body.type}`);
  let user = body.user;
  if (body.identifier) {
    if (body.identifier.type !== 'm.id.user') throw new MatrixError(400, 'M_UNKNOWN', `Unsupported identifier type ${body.identifier.type}`);
    user = body.identifier.user;
  }
  if (user === undefined) throw missingParam('Missing parameter: identifier.user');
  if (body.password === undefined) throw missingParam('Missing parameter: password');
  return loginWithPassword({
    user,
    password: body.password,
    ip: sourceIp,
    ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
    ...(body.initial_device_display_name !== undefined ? { displayName: body.initial_device_display_name } : {}),
    ...(body.refresh_token === true ? { refreshToken: true } : {}),
  });
}

export const refreshRequest = z.looseObject({ refresh_token: z.unknown() });

/**
 * POST /refresh: no access token, the refresh token authenticates (spec v1.3). The revoked access
 * token's WebSocket connections go once the command is applied (functions/streams/users.ts).
 */
export async function refresh(body: z.output<typeof refreshRequest>) {
  // Synapse's parameter checks: missing is M_MISSING_PARAM, not a string M_INVALID_PARAM.
  const { refresh_token: token } = body as { refresh_token?: unknown };
  if (token === undefined) throw missingParam('Missing params: refresh_token');
  if (typeof token !== 'string') throw invalidParam('Invalid param: refresh_token');
  const result = await refreshSession(token);
  await dropRevokedConnections(parseRefreshToken(token)!.userId);
  return result;
}

/** POST /logout (this device) or /logout/all. */
export async function logOut(requester: Requester, all: boolean): Promise<void> {
  await (all ? logoutAll(requester) : logout(requester));
  await dropRevokedConnections(requester.userId);
}

/** POST /account/password, behind the password stage. */
export async function newPassword(requester: Requester, body: { auth?: unknown; new_password: string; logout_devices: boolean }): Promise<void> {
  await requirePasswordAuth(body.auth, requester.userId);
  await changePassword(requester, body.new_password, body.logout_devices);
  if (body.logout_devices) await dropRevokedConnections(requester.userId);
}

/** POST /account/deactivate, behind the password stage. */
export async function deactivateAccount(requester: Requester, body: z.output<typeof deactivateRequest>): Promise<void> {
  await requirePasswordAuth(body.auth, requester.userId);
  await deactivate(requester);
  await dropRevokedConnections(requester.userId);
}

/** PUT /devices/{deviceId}: a new display name; without one, nothing changes (the device must exist). */
export async function renameDevice(userId: string, deviceId: string, displayName: string | undefined): Promise<void> {
  if (displayName === undefined) {
    // Nothing to change; regular clients may not create devices here.
    if (!(await getDevice(userId, deviceId))) throw notFound('Unknown device');
    return;
  }
  if (displayName.length > MAX_DEVICE_NAME_LENGTH) throw invalidParam('Device display name too long');
  await submitAccountCommand('account.updateDevice', userId, { deviceId, displayName });
}

/** DELETE /devices/{deviceId} and POST /delete_devices, behind the password stage. */
export async function deleteDevices(requester: Requester, deviceIds: string[], auth: unknown): Promise<void> {
  const unique = [...new Set(deviceIds)];
  if (unique.length > MAX_DELETE) throw invalidParam(`At most ${MAX_DELETE} devices at once`);
  await requirePasswordAuth(auth, requester.userId);
  await removeDevices(requester, unique);
  await dropRevokedConnections(requester.userId);
}
