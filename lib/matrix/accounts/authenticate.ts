// Who is asking: the access token of a request, looked up by its hash (tokens are never stored).
// A token of a logged-out device or a deactivated user is gone from the PState, so it dies at once;
// one issued with a refresh token dies when it expires (lib/matrix/accounts/refresh.ts).
// A locked user (a server admin's lock) is refused everywhere but logout, as Synapse: 401
// M_USER_LOCKED with soft_logout, read from the token item like the rest of the moderation.
import { MatrixError, missingToken, unknownToken } from '../errors.ts';
import { hashAccessToken } from '../passwords.ts';
import { accessTokens, type RatelimitOverride } from '../pstates.ts';

export interface Requester {
  userId: string;
  deviceId: string;
  tokenHash: string;
  /** Shadow-banned: their sends answer as if done, and nothing is stored (lib/matrix/rooms/operations.ts). */
  shadowBanned?: boolean;
  /** A server admin's override of the user's write limit (lib/matrix/rate-limits.ts). */
  ratelimit?: RatelimitOverride;
}

export const userLocked = () => new MatrixError(401, 'M_USER_LOCKED', 'User account has been locked', { soft_logout: true });

export async function authenticate(request: { accessToken?: string }, options: { allowLocked?: boolean } = {}): Promise<Requester> {
  if (!request.accessToken) throw missingToken();
  const tokenHash = hashAccessToken(request.accessToken);
  // A strongly consistent read: a token must stop working the moment its logout is acknowledged.
  const session = await accessTokens.key(tokenHash).get({ consistent: true });
  if (!session?.userId || !session.deviceId) throw unknownToken();
  // An access token issued with a refresh token expires: soft logout, the client refreshes (spec v1.3).
  if (session.expiresTs && Date.now() >= session.expiresTs) throw unknownToken(true);
  if (session.locked === true && !options.allowLocked) throw userLocked();
  return {
    userId: session.userId,
    deviceId: session.deviceId,
    tokenHash,
    ...(session.shadowBanned === true ? { shadowBanned: true } : {}),
    ...(session.ratelimit ? { ratelimit: session.ratelimit } : {}),
  };
}
