// Third-party identifiers (email, phone): without email, SMS or an identity server, no account can
// hold one; the routes answer as Synapse does in that configuration (lib/matrix/threepids).
import type { ModuleFragment } from '../../core/module.ts';

const v3 = '/_matrix/client/v3';

export const threepidsRoutes = {
  functions: {
    threepids: {
      entry: 'functions/http/threepids.ts',
      description: "The account's third-party identifiers and their validation tokens (none can be validated here)",
      // users: the password stage of POST /account/3pid/add.
      access: { reads: ['accessTokens', 'users'] },
    },
  },
  routes: [
    { method: 'GET', path: `${v3}/account/3pid`, function: 'threepids', operation: 'getAccount3PIDs' },
    { method: 'POST', path: `${v3}/account/3pid`, function: 'threepids', operation: 'post3PIDs' },
    { method: 'POST', path: `${v3}/account/3pid/add`, function: 'threepids', operation: 'add3PID' },
    { method: 'POST', path: `${v3}/account/3pid/bind`, function: 'threepids', operation: 'bind3PID' },
    { method: 'POST', path: `${v3}/account/3pid/unbind`, function: 'threepids', operation: 'unbind3pidFromAccount' },
    { method: 'POST', path: `${v3}/account/3pid/delete`, function: 'threepids', operation: 'delete3pidFromAccount' },
    { method: 'POST', path: `${v3}/account/3pid/email/requestToken`, function: 'threepids', operation: 'requestTokenTo3PIDEmail' },
    { method: 'POST', path: `${v3}/account/3pid/msisdn/requestToken`, function: 'threepids', operation: 'requestTokenTo3PIDMSISDN' },
    { method: 'POST', path: `${v3}/register/email/requestToken`, function: 'threepids', operation: 'requestTokenToRegisterEmail' },
    { method: 'POST', path: `${v3}/register/msisdn/requestToken`, function: 'threepids', operation: 'requestTokenToRegisterMSISDN' },
    { method: 'POST', path: `${v3}/account/password/email/requestToken`, function: 'threepids', operation: 'requestTokenToResetPasswordEmail' },
    { method: 'POST', path: `${v3}/account/password/msisdn/requestToken`, function: 'threepids', operation: 'requestTokenToResetPasswordMSISDN' },
  ],
} satisfies ModuleFragment;
