// Per-user data is private: a user reads and writes only their own (spec: "The access token must be
// authorised to make requests for this user ID"; otherwise 403 M_FORBIDDEN).
import type { Requester } from '../accounts/authenticate.ts';
import { forbidden } from '../errors.ts';

/** 403 M_FORBIDDEN unless `userId` (a path's) is the requester's own. */
export function requireOwn(requester: Requester, userId: string, what = 'data'): Requester {
  if (requester.userId !== userId) throw forbidden(`Cannot access ${what} of other users.`);
  return requester;
}
