// Third-party identifiers (email, phone) on a server that sends neither email nor SMS and talks to
// no identity server. No account can ever hold a 3PID, since none can be validated. Each endpoint
// answers as Synapse does in that configuration (3PID changes allowed in principle, no email
// config, no msisdn delegate): the request is checked as Synapse checks it, then refused with the
// error Synapse gives, so clients see the same answers on either server.
import { z } from 'zod';
import { MatrixError, invalidParam, missingParam } from '../errors.ts';
import { parseRequestBody } from '../request-schemas.ts';

/** The spec's `client_secret` grammar ([0-9a-zA-Z.=_-], 1 to 255 characters). */
const CLIENT_SECRET = /^[0-9a-zA-Z.=_-]{1,255}$/;

export function assertValidClientSecret(secret: string): void {
  if (!CLIENT_SECRET.test(secret)) throw invalidParam('Invalid client_secret parameter');
}

const clientSecret = z.string();
const sendAttempt = z.number().int();
const identityServer = { id_server: z.string().optional(), id_access_token: z.string().optional(), next_link: z.string().optional() };

export const msisdnValidationRequest = z.looseObject({
  client_secret: clientSecret,
  country: z.string(),
  phone_number: z.string(),
  send_attempt: sendAttempt,
  ...identityServer,
});
export const addThreepidRequest = z.looseObject({ client_secret: clientSecret, sid: z.string(), auth: z.unknown().optional() });
export const bindThreepidRequest = z.looseObject({ client_secret: clientSecret, id_access_token: z.string(), id_server: z.string(), sid: z.string() });
export const threepidRequest = z.looseObject({ medium: z.enum(['email', 'msisdn']), address: z.string(), id_server: z.string().optional() });
const threepidCredentials = z.looseObject({ client_secret: clientSecret, sid: z.string() });

/** Parses a request for a phone number validation token, with the checks that come before any refusal. */
export function parseMsisdnValidation(body: unknown): z.output<typeof msisdnValidationRequest> {
  const request = parseRequestBody(msisdnValidationRequest, body);
  assertValidClientSecret(request.client_secret);
  // Synapse parses the number with its country first: one that is no number at all is refused as such.
  if (!/^\+?[0-9 ().-]{2,}$/.test(request.phone_number) || !/[0-9]/.test(request.phone_number)) {
    throw invalidParam('Unable to parse phone number');
  }
  return request;
}

/** The deprecated POST /account/3pid: `three_pid_creds` (or the older `threePidCreds`) with a validated session. */
export function parseThreepidCredentials(body: unknown): z.output<typeof threepidCredentials> {
  const object = parseRequestBody(z.looseObject({}), body) as Record<string, unknown>;
  const credentials = object['three_pid_creds'] ?? object['threePidCreds'];
  if (credentials === undefined || credentials === null) throw missingParam('Missing param three_pid_creds');
  const parsed = parseRequestBody(threepidCredentials, credentials);
  assertValidClientSecret(parsed.client_secret);
  return parsed;
}

// --- The refusals (Synapse's status, errcode and wording) ---

/** No validation session can exist: nothing was ever sent to validate. */
export const noValidatedSession = () => new MatrixError(400, 'M_THREEPID_AUTH_FAILED', 'No validated 3pid session found');

export const registrationByEmailDisabled = () => new MatrixError(400, 'M_UNKNOWN', 'Email-based registration has been disabled on this server');
export const registrationByPhoneUnsupported = () => new MatrixError(400, 'M_UNKNOWN', 'Registration by phone number is not supported on this homeserver');
export const passwordResetByEmailDisabled = () => new MatrixError(400, 'M_UNKNOWN', 'Email-based password resets have been disabled on this server');
/** No account has a phone number, so none can be reset by one. */
export const phoneNumberNotFound = () => new MatrixError(400, 'M_THREEPID_NOT_FOUND', 'Phone number not found');
export const addingEmailDisabled = () =>
  new MatrixError(400, 'M_THREEPID_MEDIUM_NOT_SUPPORTED', 'Adding an email to your account is disabled on this server');
export const addingPhoneUnsupported = () =>
  new MatrixError(400, 'M_THREEPID_MEDIUM_NOT_SUPPORTED', 'Adding phone numbers to user account is not supported by this homeserver');
/** Binding is done by an identity server; this server contacts none, so it trusts none. */
export const identityServerNotTrusted = (server: string) =>
  new MatrixError(400, 'M_SERVER_NOT_TRUSTED', `This homeserver does not contact identity servers (${server})`);

/** What unbinding or deleting a 3PID reports: no identity server was ever told of one. */
export const unbindResult = { id_server_unbind_result: 'no-support' } as const;
