// Registration tokens as the admin API shows them and as registration checks and uses them.
import type { WriteOp } from '../../core/pstate/index.ts';
import { MatrixError } from '../errors.ts';
import { ALL_TOKENS, registrationTokens } from './pstates.ts';
import { TOKEN_PATTERN } from './commands.ts';

export interface StoredToken {
  usesAllowed?: number;
  pending?: number;
  completed?: number;
  expiryTime?: number;
}

/** A token as Synapse's admin API returns it (docs/usage/administration/admin_api/registration_tokens.md). */
export interface RegistrationTokenObject {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

export const tokenPath = (token: string) => registrationTokens.key(ALL_TOKENS).key(token);

export function tokenObject(token: string, stored: StoredToken): RegistrationTokenObject {
  return {
    token,
    uses_allowed: stored.usesAllowed ?? null,
    pending: stored.pending ?? 0,
    completed: stored.completed ?? 0,
    expiry_time: stored.expiryTime ?? null,
  };
}

/** Synapse's rule: not expired, and fewer uses (pending and completed) than allowed. */
export function isUsable(stored: StoredToken, now: number): boolean {
  if (stored.expiryTime !== undefined && stored.expiryTime < now) return false;
  if (stored.usesAllowed !== undefined && (stored.pending ?? 0) + (stored.completed ?? 0) >= stored.usesAllowed) return false;
  return true;
}

/** Whether `token` could register an account now (a token of the wrong shape never can). */
export async function isValidToken(token: string, now = Date.now(), consistent = false): Promise<boolean> {
  if (!TOKEN_PATTERN.test(token)) return false;
  const stored = await tokenPath(token).get({ consistent });
  return stored !== undefined && isUsable(stored, now);
}

/** The refusal of a token that is unknown, expired or used up (Synapse's LoginError). */
export const invalidToken = () => new MatrixError(401, 'M_UNAUTHORIZED', 'Invalid registration token');

/**
 * In the users topology, registering with `token`: the write that counts the use, refused unless
 * the token is usable now. The count is conditioned on the value just read, so two registrations
 * racing for a token's last use cannot both commit: the loser's transaction fails, its plan runs
 * again (lib/core/topology/apply-once.ts) and finds the token used up.
 */
export async function useToken(token: string, now: number): Promise<WriteOp> {
  const stored = await tokenPath(token).get({ consistent: true });
  if (!stored || !isUsable(stored, now)) throw invalidToken();
  const completed = stored.completed ?? 0;
  return tokenPath(token).field('completed').set(completed + 1, { ifEquals: completed });
}

/** Every token, optionally only the usable (`valid`) or the unusable ones. */
export async function listTokens(valid: boolean | undefined, now = Date.now()): Promise<RegistrationTokenObject[]> {
  const entries = await registrationTokens.key(ALL_TOKENS).entries({ limit: 1000 });
  return entries.filter(([, stored]) => valid === undefined || isUsable(stored, now) === valid).map(([token, stored]) => tokenObject(token, stored));
}
