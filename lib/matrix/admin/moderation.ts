// Synapse's abuse tools in the user admin API (docs/admin_api/user_admin_api.md): rate-limit
// overrides, shadow bans and locks. Each is an `account.moderate` command on the users depot; the
// users topology keeps the state on the account and copies it onto every access token of the user
// (lib/matrix/accounts/apply.ts), so the request path learns it from the token it reads anyway.
import { submitAccountCommand } from '../accounts/account.ts';
import { badJson, invalidParam, MatrixError, notFound } from '../errors.ts';
import { isLocalUser, isValidUserId } from '../ids.ts';
import { users } from '../pstates.ts';

/** Synapse: a user id of another server is 400 M_UNKNOWN with the endpoint's words; an unknown account 404. */
async function localAccount(userId: string, notLocal: string) {
  if (!isValidUserId(userId)) throw invalidParam(`Invalid user ID: ${userId}`);
  if (!isLocalUser(userId)) throw new MatrixError(400, 'M_UNKNOWN', notLocal);
  const user = await users.key(userId).get({ consistent: true });
  if (user?.createdTs === undefined) throw notFound('User not found');
  return user;
}

const RATELIMIT_NOT_LOCAL = 'Only local users can be ratelimited';

/** GET /v1/users/{userId}/override_ratelimit: `{}` when none is set. */
export async function getRatelimitOverride(userId: string) {
  const user = await localAccount(userId, 'Can only look up local users');
  return user.ratelimit ? { messages_per_second: user.ratelimit.messagesPerSecond, burst_count: user.ratelimit.burstCount } : {};
}

function nonNegativeInt(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalidParam(`${JSON.stringify(value)} parameter must be a positive int`);
  return value;
}

/** POST /v1/users/{userId}/override_ratelimit: both 0 disables the user's write limit. */
export async function setRatelimitOverride(userId: string, rawBody: unknown) {
  await localAccount(userId, RATELIMIT_NOT_LOCAL);
  const body = rawBody ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Content must be a JSON object.');
  const b = body as Record<string, unknown>;
  const ratelimit = { messagesPerSecond: nonNegativeInt(b.messages_per_second ?? 0), burstCount: nonNegativeInt(b.burst_count ?? 0) };
  await submitAccountCommand('account.moderate', userId, { ratelimit });
  return { messages_per_second: ratelimit.messagesPerSecond, burst_count: ratelimit.burstCount };
}

/** DELETE /v1/users/{userId}/override_ratelimit. */
export async function deleteRatelimitOverride(userId: string) {
  await localAccount(userId, RATELIMIT_NOT_LOCAL);
  await submitAccountCommand('account.moderate', userId, { ratelimit: null });
  return {};
}

/** POST / DELETE /v1/users/{userId}/shadow_ban. */
export async function setShadowBan(userId: string, shadowBanned: boolean) {
  await localAccount(userId, 'Only local users can be shadow-banned');
  await submitAccountCommand('account.moderate', userId, { shadowBanned });
  return {};
}
