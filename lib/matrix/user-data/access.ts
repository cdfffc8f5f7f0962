// Per-user data is private: a user reads and writes only their own (spec: "The access token must be
// authorised to make requests for this user ID"; otherwise 403 M_FORBIDDEN).
import { authenticate, type Requester } from '../accounts/authenticate.ts';
import { forbidden } from '../errors.ts';

export async function authenticateAs(request: { accessToken?: string }, userId: string, what = 'data'): Promise<Requester> {
  const requester = await authenticate(request);
  if (requester.userId !== userId) throw forbidden(`Cannot access ${what} of other users.`);
  return requester;
}
