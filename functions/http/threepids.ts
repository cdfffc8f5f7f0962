// Third-party identifiers: the account's 3PIDs (always none), adding, binding, unbinding and
// deleting them, and the requestToken endpoints, as Synapse answers without email, SMS or an
// identity server (lib/matrix/threepids/threepids.ts).
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { requirePasswordAuth } from '../../lib/matrix/accounts/uia.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';
import {
  addThreepidRequest,
  addingEmailDisabled,
  addingPhoneUnsupported,
  assertValidClientSecret,
  bindThreepidRequest,
  identityServerNotTrusted,
  noValidatedSession,
  parseMsisdnValidation,
  parseThreepidCredentials,
  passwordResetByEmailDisabled,
  phoneNumberNotFound,
  registrationByEmailDisabled,
  registrationByPhoneUnsupported,
  threepidRequest,
  unbindResult,
} from '../../lib/matrix/threepids/threepids.ts';

export const threepidOperations = {
  getAccount3PIDs: operation({ auth: 'user' }, () => json({ threepids: [] })),
  post3PIDs: operation({ auth: 'user' }, ({ body }) => {
    parseThreepidCredentials(body);
    throw noValidatedSession();
  }),
  add3PID: operation({ auth: 'user', body: addThreepidRequest }, async ({ requester, body }) => {
    assertValidClientSecret(body.client_secret);
    await requirePasswordAuth(body.auth, requester.userId);
    throw noValidatedSession();
  }),
  bind3PID: operation({ auth: 'user', body: bindThreepidRequest }, ({ body }) => {
    assertValidClientSecret(body.client_secret);
    throw identityServerNotTrusted(body.id_server);
  }),
  unbind3pidFromAccount: operation({ auth: 'user', body: threepidRequest }, () => json(unbindResult)),
  delete3pidFromAccount: operation({ auth: 'user', body: threepidRequest }, () => json(unbindResult)),
  // Synapse refuses the email ones before reading the body (nothing could ever be sent), and reads
  // the phone ones first.
  requestTokenTo3PIDEmail: operation({ auth: 'none' }, () => {
    throw addingEmailDisabled();
  }),
  requestTokenTo3PIDMSISDN: operation({ auth: 'none' }, ({ body }) => {
    parseMsisdnValidation(body);
    throw addingPhoneUnsupported();
  }),
  requestTokenToRegisterEmail: operation({ auth: 'none' }, () => {
    throw registrationByEmailDisabled();
  }),
  requestTokenToRegisterMSISDN: operation({ auth: 'none' }, ({ body }) => {
    parseMsisdnValidation(body);
    throw registrationByPhoneUnsupported();
  }),
  requestTokenToResetPasswordEmail: operation({ auth: 'none' }, () => {
    throw passwordResetByEmailDisabled();
  }),
  requestTokenToResetPasswordMSISDN: operation({ auth: 'none' }, ({ body }) => {
    parseMsisdnValidation(body);
    throw phoneNumberNotFound();
  }),
} satisfies Record<string, DeclaredOperation>;
