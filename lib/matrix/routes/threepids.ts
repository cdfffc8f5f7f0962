// Third-party identifiers (email, phone): without email, SMS or an identity server, no account can
// hold one; the routes answer as Synapse does in that configuration (lib/matrix/threepids).
import type { ModuleFragment } from '../../core/module.ts';

const v3 = '/_matrix/client/v3';

export const threepidsRoutes = {
  // Served by the accountServices function, declared in account-services.ts.
  functions: {},
  routes: [
    { method: 'GET', path: `${v3}/account/3pid`, function: 'accountServices', operation: 'getAccount3PIDs' },
    { method: 'POST', path: `${v3}/account/3pid`, function: 'accountServices', operation: 'post3PIDs' },
    { method: 'POST', path: `${v3}/account/3pid/add`, function: 'accountServices', operation: 'add3PID' },
    { method: 'POST', path: `${v3}/account/3pid/bind`, function: 'accountServices', operation: 'bind3PID' },
    { method: 'POST', path: `${v3}/account/3pid/unbind`, function: 'accountServices', operation: 'unbind3pidFromAccount' },
    { method: 'POST', path: `${v3}/account/3pid/delete`, function: 'accountServices', operation: 'delete3pidFromAccount' },
    { method: 'POST', path: `${v3}/account/3pid/email/requestToken`, function: 'accountServices', operation: 'requestTokenTo3PIDEmail' },
    { method: 'POST', path: `${v3}/account/3pid/msisdn/requestToken`, function: 'accountServices', operation: 'requestTokenTo3PIDMSISDN' },
    { method: 'POST', path: `${v3}/register/email/requestToken`, function: 'accountServices', operation: 'requestTokenToRegisterEmail' },
    { method: 'POST', path: `${v3}/register/msisdn/requestToken`, function: 'accountServices', operation: 'requestTokenToRegisterMSISDN' },
    { method: 'POST', path: `${v3}/account/password/email/requestToken`, function: 'accountServices', operation: 'requestTokenToResetPasswordEmail' },
    { method: 'POST', path: `${v3}/account/password/msisdn/requestToken`, function: 'accountServices', operation: 'requestTokenToResetPasswordMSISDN' },
  ],
} satisfies ModuleFragment;
