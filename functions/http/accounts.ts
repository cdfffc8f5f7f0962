// Accounts: registration, login, logout, whoami, password change, deactivation
// (lib/matrix/accounts/requests.ts).
import { json } from '../../lib/http/operation.ts';
import {
  deactivateAccount,
  deactivateRequest,
  logOut,
  login,
  newPassword,
  PASSWORD_LOGIN,
  refresh,
  refreshRequest,
  registerAccount,
  registrationTokenValidity,
  usernameAvailability,
} from '../../lib/matrix/accounts/requests.ts';
import { changePasswordRequest, loginRequest } from '../../lib/matrix/request-schemas.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('accounts', {
  // Registration looks at the kind and the server's mode before the body (as Synapse).
  register: operation({ auth: 'none' }, async ({ request }) => json(await registerAccount(request))),
  checkUsernameAvailability: operation({ auth: 'none' }, async ({ request }) => json(await usernameAvailability(request.query))),
  registrationTokenValidity: operation({ auth: 'none' }, async ({ request }) => json(await registrationTokenValidity(request.query, request.sourceIp))),
  getLoginFlows: operation({ auth: 'none' }, () => json({ flows: [{ type: PASSWORD_LOGIN }] })),
  login: operation({ auth: 'none', body: loginRequest }, async ({ body, request }) => json(await login(body, request.sourceIp))),
  // No access token: the refresh token authenticates (spec v1.3).
  refresh: operation({ auth: 'none', body: refreshRequest }, async ({ body }) => json(await refresh(body))),
  // Each revocation answers once the connections opened with the revoked tokens are closed.
  // A locked user may still log out (Synapse).
  logout: operation({ auth: 'user', allowLocked: true }, async ({ requester }) => {
    await logOut(requester, false);
    return json({});
  }),
  logout_all: operation({ auth: 'user', allowLocked: true }, async ({ requester }) => {
    await logOut(requester, true);
    return json({});
  }),
  getTokenOwner: operation({ auth: 'user' }, ({ requester }) => json({ user_id: requester.userId, device_id: requester.deviceId, is_guest: false })),
  changePassword: operation({ auth: 'user', body: changePasswordRequest }, async ({ requester, body }) => {
    await newPassword(requester, body);
    return json({});
  }),
  deactivateAccount: operation({ auth: 'user', body: deactivateRequest, optionalBody: true }, async ({ requester, body }) => {
    await deactivateAccount(requester, body);
    // Axon binds no third-party ids, so there is nothing to unbind at an identity server.
    return json({ id_server_unbind_result: 'no-support' });
  }),
});
