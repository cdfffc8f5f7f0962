// Synapse's admin API (element-hq/synapse docs/admin_api): what every endpoint shares — the
// server-admin check and Synapse's query parameter parsing (parse_integer, parse_boolean), with
// the errcodes Synapse answers bad parameters with.
import { authenticate } from '../accounts/authenticate.ts';
import { MatrixError, badJson, forbidden, invalidParam, notJson } from '../errors.ts';
import { isLocalUser, isValidUserId } from '../ids.ts';
import { users } from '../pstates.ts';

/** The requester, if a server admin: 401 without a valid token, 403 M_FORBIDDEN for others. */
export async function requireServerAdmin(request: { accessToken?: string }): Promise<string> {
  const { userId } = await authenticate(request);
  await assertServerAdmin(userId);
  return userId;
}

/** 403 M_FORBIDDEN unless `userId` is a server admin (read consistently: a demotion counts at once). */
export async function assertServerAdmin(userId: string): Promise<void> {
  const requester = await users.key(userId).fields(['admin'], { consistent: true });
  if (requester?.admin !== true) throw forbidden('You are not a server admin');
}

/** A query parameter that must be a non-negative integer (Synapse's parse_integer with `negative=False`). */
export function nonNegativeInteger(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^[0-9]{1,15}$/.test(raw)) throw invalidParam(`Query parameter ${JSON.stringify(name)} must be a non-negative integer`);
  return Number(raw);
}

/** A boolean query parameter (Synapse's parse_boolean: `true` or `false`), undefined when absent. */
export function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParam(`Boolean query parameter ${JSON.stringify(name)} must be one of ['true', 'false']`);
}

/** One of `allowed` (Synapse's parse_string with allowed_values). */
export function choiceParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw invalidParam(`Query parameter ${JSON.stringify(name)} must be one of [${allowed.map((a) => `'${a}'`).join(', ')}]`);
  return raw as T;
}

/** A user id in a path that must name a local user (Synapse: 400 M_UNKNOWN "Can only look up local users"). */
export function localUserId(userId: string, action = 'look up'): string {
  if (!isValidUserId(userId)) throw invalidParam(`Invalid user ID: ${userId}`);
  if (!isLocalUser(userId)) throw new MatrixError(400, 'M_UNKNOWN', `Can only ${action} local users`);
  return userId;
}

/** One page of `items` from offset `from` with Synapse's `next_token`-style continuation. */
export function page<T>(items: readonly T[], from: number, limit: number): { items: T[]; next?: number } {
  const slice = items.slice(from, from + limit);
  return from + limit < items.length ? { items: slice, next: from + limit } : { items: slice };
}

/** Synapse's parse_json_object_from_request: no body is M_NOT_JSON, another JSON value M_BAD_JSON. */
export function jsonObject(body: unknown): Record<string, unknown> {
  if (body === undefined) throw notJson('Content not JSON.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Content must be a JSON object.');
  return body as Record<string, unknown>;
}
