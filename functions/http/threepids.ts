// Third-party identifiers: the account's 3PIDs (always none), adding, binding, unbinding and
// deleting them, and the requestToken endpoints, as Synapse answers without email, SMS or an
// identity server (lib/matrix/threepids/threepids.ts).
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { requirePasswordAuth } from '../../lib/matrix/accounts/uia.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
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
  getAccount3PIDs: async (request) => {
    await authenticate(request);
    return json({ threepids: [] });
  },
  post3PIDs: async (request) => {
    await authenticate(request);
    parseThreepidCredentials(request.body);
    throw noValidatedSession();
  },
  add3PID: async (request) => {
    const { userId } = await authenticate(request);
    const body = parseRequestBody(addThreepidRequest, request.body);
    assertValidClientSecret(body.client_secret);
    await requirePasswordAuth(body.auth, userId);
    throw noValidatedSession();
  },
  bind3PID: async (request) => {
    await authenticate(request);
    const body = parseRequestBody(bindThreepidRequest, request.body);
    assertValidClientSecret(body.client_secret);
    throw identityServerNotTrusted(body.id_server);
  },
  unbind3pidFromAccount: async (request) => {
    await authenticate(request);
    parseRequestBody(threepidRequest, request.body);
    return json(unbindResult);
  },
  delete3pidFromAccount: async (request) => {
    await authenticate(request);
    parseRequestBody(threepidRequest, request.body);
    return json(unbindResult);
  },
  // Synapse refuses the email ones before reading the body (nothing could ever be sent), and reads
  // the phone ones first.
  requestTokenTo3PIDEmail: () => {
    throw addingEmailDisabled();
  },
  requestTokenTo3PIDMSISDN: (request) => {
    parseMsisdnValidation(request.body);
    throw addingPhoneUnsupported();
  },
  requestTokenToRegisterEmail: () => {
    throw registrationByEmailDisabled();
  },
  requestTokenToRegisterMSISDN: (request) => {
    parseMsisdnValidation(request.body);
    throw registrationByPhoneUnsupported();
  },
  requestTokenToResetPasswordEmail: () => {
    throw passwordResetByEmailDisabled();
  },
  requestTokenToResetPasswordMSISDN: (request) => {
    parseMsisdnValidation(request.body);
    throw phoneNumberNotFound();
  },
} satisfies Record<string, Operation>;
