// Accounts: registration, login, logout, whoami, password change, deactivation.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { changePassword, deactivate, logout, logoutAll } from '../../lib/matrix/accounts/account.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { limitLoginAddress, limitRegistration } from '../../lib/matrix/accounts/rate-limits.ts';
import { availableUserId, checkRegistration, isRegistrationRetry, loginWithPassword, register } from '../../lib/matrix/accounts/sessions.ts';
import { parseRefreshToken, refreshSession } from '../../lib/matrix/accounts/refresh.ts';
import { registrationMode } from '../../lib/matrix/accounts/registration-mode.ts';
import { clientSession, invalidRegistrationToken, requireDummyAuth, requirePasswordAuth, requireRegistrationTokenAuth } from '../../lib/matrix/accounts/uia.ts';
import { isValidToken } from '../../lib/matrix/registration-tokens/tokens.ts';
import { MatrixError, forbidden, invalidParam, missingParam } from '../../lib/matrix/errors.ts';
import { dropRevokedConnections } from '../../lib/matrix/push/revoked.ts';
import { changePasswordRequest, loginRequest, parseRequestBody, registerRequest } from '../../lib/matrix/request-schemas.ts';
import { z } from 'zod';

const PASSWORD_LOGIN = 'm.login.password';

const deactivateRequest = z.looseObject({ auth: z.unknown().optional(), id_server: z.string().optional(), erase: z.boolean().optional() });

const registrationDisabled = () => forbidden('Registration has been disabled');

async function registerOperation(request: HttpRequest) {
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
    return json(await register({ ...registration, ...(registrationToken !== undefined ? { registrationToken } : {}) }));
  } catch (e) {
    // The users topology counts the use in order: a token used up meanwhile fails the stage.
    if (registrationToken !== undefined && e instanceof MatrixError && e.errcode === 'M_UNAUTHORIZED') throw invalidRegistrationToken(body.auth, e.message);
    throw e;
  }
}

/** GET /_matrix/client/v1/register/m.login.registration_token/validity (spec v1.2). */
async function registrationTokenValidity(request: HttpRequest) {
  await limitRegistration(request.sourceIp);
  if (registrationMode() === 'closed') throw registrationDisabled();
  const token = request.query.get('token');
  if (token === null) throw missingParam('Missing string query parameter "token"');
  return json({ valid: await isValidToken(token) });
}

async function checkUsernameAvailability(request: HttpRequest) {
  if (registrationMode() === 'closed') throw registrationDisabled();
  const username = request.query.get('username');
  if (username === null) throw missingParam('Missing parameter: username');
  await availableUserId(username);
  return json({ available: true });
}

async function login(request: HttpRequest) {
  const body = parseRequestBody(loginRequest, request.body);
  await limitLoginAddress(request.sourceIp);
  if (body.type !== PASSWORD_LOGIN) throw new MatrixError(400, 'M_UNKNOWN', `Unknown login type ${body.type}`);
  let user = body.user;
  if (body.identifier) {
    if (body.identifier.type !== 'm.id.user') throw new MatrixError(400, 'M_UNKNOWN', `Unsupported identifier type ${body.identifier.type}`);
    user = body.identifier.user;
  }
  if (user === undefined) throw missingParam('Missing parameter: identifier.user');
  if (body.password === undefined) throw missingParam('Missing parameter: password');
  return json(
    await loginWithPassword({
      user,
      password: body.password,
      ip: request.sourceIp,
      ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
      ...(body.initial_device_display_name !== undefined ? { displayName: body.initial_device_display_name } : {}),
      ...(body.refresh_token === true ? { refreshToken: true } : {}),
    }),
  );
}

const refreshRequest = z.looseObject({ refresh_token: z.unknown() });

export const handler = matrixFunction('accounts', {
  register: registerOperation,
  checkUsernameAvailability,
  registrationTokenValidity,
  getLoginFlows: () => json({ flows: [{ type: PASSWORD_LOGIN }] }),
  login,
  // No access token: the refresh token authenticates (spec v1.3). The revoked access token's
  // WebSocket connections go once the command is applied (functions/streams/users.ts).
  refresh: async (request) => {
    // Synapse's parameter checks: missing is M_MISSING_PARAM, not a string M_INVALID_PARAM.
    const { refresh_token: token } = parseRequestBody(refreshRequest, request.body) as { refresh_token?: unknown };
    if (token === undefined) throw missingParam('Missing params: refresh_token');
    if (typeof token !== 'string') throw invalidParam('Invalid param: refresh_token');
    const result = await refreshSession(token);
    await dropRevokedConnections(parseRefreshToken(token)!.userId);
    return json(result);
  },
  // Each revocation answers once the connections opened with the revoked tokens are closed.
  // A locked user may still log out (Synapse).
  logout: async (request) => {
    const requester = await authenticate(request, { allowLocked: true });
    await logout(requester);
    await dropRevokedConnections(requester.userId);
    return json({});
  },
  logout_all: async (request) => {
    const requester = await authenticate(request, { allowLocked: true });
    await logoutAll(requester);
    await dropRevokedConnections(requester.userId);
    return json({});
  },
  getTokenOwner: async (request) => {
    const requester = await authenticate(request);
    return json({ user_id: requester.userId, device_id: requester.deviceId, is_guest: false });
  },
  changePassword: async (request) => {
    const requester = await authenticate(request);
    const body = parseRequestBody(changePasswordRequest, request.body);
    await requirePasswordAuth(body.auth, requester.userId);
    await changePassword(requester, body.new_password, body.logout_devices);
    if (body.logout_devices) await dropRevokedConnections(requester.userId);
    return json({});
  },
  deactivateAccount: async (request) => {
    const requester = await authenticate(request);
    const body = parseRequestBody(deactivateRequest, request.body ?? {});
    await requirePasswordAuth(body.auth, requester.userId);
    await deactivate(requester);
    await dropRevokedConnections(requester.userId);
    // Axon binds no third-party ids, so there is nothing to unbind at an identity server.
    return json({ id_server_unbind_result: 'no-support' });
  },
});
