// User-interactive authentication (Client-Server API §"User-interactive authentication API").
//
// Every flow Axon offers has exactly one stage (m.login.dummy to register, m.login.password to
// confirm a sensitive change), and that stage is completed by the same request that performs the
// operation. So a session carries no progress between requests and is not stored: the server hands
// out a random session id for clients to echo (matrix-js-sdk calls POST /register twice), and
// each completing request proves what its stage asks on its own (nothing for dummy, the current
// password for m.login.password). A multi-stage flow would need stored sessions (a PState).
import { z } from 'zod';
import { MatrixError, forbidden, type MatrixErrcode } from '../errors.ts';
import { randomOpaqueId, userIdFromIdentifier } from '../ids.ts';
import { verifyPasswordOrDummy } from '../passwords.ts';
import { checkFailedAttempts, countFailedAttempt } from './rate-limits.ts';
import { users } from '../pstates.ts';

export const DUMMY = 'm.login.dummy';
export const REGISTRATION_TOKEN = 'm.login.registration_token';
export const PASSWORD = 'm.login.password';

/** The 401 of the UIA API: flows, params, session, and when a stage failed, its error. */
export class AuthenticationRequired extends MatrixError {
  constructor(
    readonly stages: readonly string[],
    readonly session: string,
    failure?: { errcode: MatrixErrcode; error: string },
  ) {
    super(401, failure?.errcode ?? 'M_UNAUTHORIZED', failure?.error ?? 'Additional authentication required');
    this.failed = failure !== undefined;
  }

  private readonly failed: boolean;

  override toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { flows: [{ stages: [...this.stages] }], params: {}, session: this.session, completed: [] };
    if (this.failed) Object.assign(body, { errcode: this.errcode, error: this.message });
    return body;
  }
}

const authData = z.looseObject({
  type: z.string().optional(),
  session: z.string().optional(),
  password: z.string().optional(),
  token: z.unknown().optional(),
  user: z.string().optional(),
  identifier: z.looseObject({ type: z.string(), user: z.string().optional() }).optional(),
});
type AuthData = z.infer<typeof authData>;

function parseAuth(auth: unknown, stage: string): AuthData | undefined {
  if (auth === undefined || auth === null) return undefined;
  const parsed = authData.safeParse(auth);
  if (!parsed.success) throw new MatrixError(400, 'M_BAD_JSON', 'auth must be an object of authentication data');
  if (parsed.data.type === undefined) return undefined; // a session alone: no stage completed yet
  if (parsed.data.type !== stage) {
    throw new AuthenticationRequired([stage], parsed.data.session ?? randomOpaqueId(), {
      errcode: 'M_UNRECOGNIZED',
      error: `Authentication type ${parsed.data.type} is not offered here`,
    });
  }
  return parsed.data;
}

/** Registration: the m.login.dummy stage must be completed (its first call gets the 401). */
export function requireDummyAuth(auth: unknown): void {
  const data = parseAuth(auth, DUMMY);
  if (!data) throw new AuthenticationRequired([DUMMY], sessionOf(auth));
}

/**
 * Registration with a token: the m.login.registration_token stage, completed by the request that
 * registers (so no use is pending between requests). Returns the token for the users topology to
 * count; whether it is usable is checked by the caller (and again, in order, by the topology).
 * Synapse's errors: a missing token 400 M_MISSING_PARAM, a non-string one 400 M_INVALID_PARAM.
 */
export function requireRegistrationTokenAuth(auth: unknown): string {
  const data = parseAuth(auth, REGISTRATION_TOKEN);
  if (!data) throw new AuthenticationRequired([REGISTRATION_TOKEN], sessionOf(auth));
  if (data.token === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing registration token');
  if (typeof data.token !== 'string') throw new MatrixError(400, 'M_INVALID_PARAM', 'Registration token must be a string');
  return data.token;
}

/** The failed token stage: 401 with the flow again and Synapse's M_UNAUTHORIZED. */
export function invalidRegistrationToken(auth: unknown, message = 'Invalid registration token'): AuthenticationRequired {
  return new AuthenticationRequired([REGISTRATION_TOKEN], sessionOf(auth), { errcode: 'M_UNAUTHORIZED', error: message });
}

/** The session a client's auth data names, if any. */
export function clientSession(auth: unknown): string | undefined {
  const session = (auth as { session?: unknown } | undefined)?.session;
  return typeof session === 'string' && session.length > 0 ? session : undefined;
}

function sessionOf(auth: unknown): string {
  return clientSession(auth) ?? randomOpaqueId();
}

/**
 * A sensitive change by `userId`: the m.login.password stage with that user's current password.
 * Naming another user, or a wrong password, fails the stage (401 with M_FORBIDDEN).
 */
export async function requirePasswordAuth(auth: unknown, userId: string): Promise<void> {
  const data = parseAuth(auth, PASSWORD);
  const session = sessionOf(auth);
  if (!data) throw new AuthenticationRequired([PASSWORD], session);
  const fail = (error: string) => new AuthenticationRequired([PASSWORD], session, { errcode: 'M_FORBIDDEN', error });
  const named = data.identifier?.type === 'm.id.user' ? data.identifier.user : data.user;
  // Naming another user is 403, not a failed stage (Synapse; sytest "requires UI auth user to match device owner").
  if (named !== undefined && userIdFromIdentifier(named) !== userId) throw forbidden('Authenticated user does not match the requester');
  if (data.password === undefined) throw fail('Missing password');
  // A stolen access token must not be a way to guess the password (Synapse limits UIA failures too).
  const account = userId.toLowerCase();
  await checkFailedAttempts('uia', account);
  const user = await users.key(userId).fields(['passwordHash'], { consistent: true });
  if (!(await verifyPasswordOrDummy(data.password, user?.passwordHash))) {
    await countFailedAttempt('uia', account);
    throw fail('Invalid password');
  }
}
