// Who is asking: the access token of a request, looked up by its hash (tokens are never stored).
// A token of a logged-out device or a deactivated user is gone from the PState, so it dies at once.
import { missingToken, unknownToken } from '../errors.ts';
import { hashAccessToken } from '../passwords.ts';
import { accessTokens } from '../pstates.ts';

export interface Requester {
  userId: string;
  deviceId: string;
  tokenHash: string;
}

export async function authenticate(request: { accessToken?: string }): Promise<Requester> {
  if (!request.accessToken) throw missingToken();
  const tokenHash = hashAccessToken(request.accessToken);
  // A strongly consistent read: a token must stop working the moment its logout is acknowledged.
  const session = await accessTokens.key(tokenHash).get({ consistent: true });
  if (!session?.userId || !session.deviceId) throw unknownToken();
  return { userId: session.userId, deviceId: session.deviceId, tokenHash };
}
