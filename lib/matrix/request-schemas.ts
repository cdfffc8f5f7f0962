// Request-body validation: zod schemas of Client-Server request bodies and the mapping of a
// validation failure to the spec's errors (missing field → M_MISSING_PARAM, wrong shape →
// M_BAD_JSON, a well-typed but unacceptable value → M_INVALID_PARAM, raised by callers).
import { z } from 'zod';
import { nestsDeeperThan } from '../core/json-depth.ts';
import { unstorableJson } from '../core/json-text.ts';
import { badJson, missingParam, notJson } from './errors.ts';
import { isCanonicalJsonValue } from './canonical-json.ts';
import { MAX_IDENTIFIER_BYTES } from './path-parameters.ts';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH } from './accounts/commands.ts';

/**
 * The deepest nesting a request's JSON may have. The spec sets none; Synapse's JSON decoder stops
 * near Python's recursion limit (1,000) and answers M_NOT_JSON. Axon refuses deeper documents as
 * M_BAD_JSON (they are JSON, of a shape it does not take), checked without recursion right after
 * parsing, so nothing recursive downstream ever sees one.
 */
export const MAX_JSON_DEPTH = 1000;

/** M_BAD_JSON when a parsed request value nests deeper than MAX_JSON_DEPTH. */
export function refuseDeepJson<T>(value: T): T {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw badJson(`JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  return value;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses a request body with a schema, throwing the spec's MatrixError on failure. */
export function parseRequestBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  // Valid JSON of the wrong shape is M_BAD_JSON (as Synapse answers); unparsable text is M_NOT_JSON.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Content must be a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined && issue.path.length > 0) {
    throw missingParam(`Missing parameter: ${path}`);
  }
  throw badJson(path ? `Invalid parameter ${path}: ${issue.message}` : issue.message);
}

/**
 * Parses request text as JSON: `invalid` (default M_NOT_JSON) when it is not, M_BAD_JSON when it
 * nests too deep, or holds a lone surrogate (in a string or a key) or a number past a double's
 * range (`1e400`): nothing can store or sign them (json-text.ts).
 */
export function parseJsonText(text: string, invalid: () => Error = () => notJson()): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  refuseDeepJson(value);
  const problem = unstorableJson(value);
  if (problem) throw badJson(`Invalid ${problem.path}: ${problem.reason}`);
  return value;
}

/**
 * A Matrix identifier in a request body (a room, user, event, device or session id, as a value or
 * as a map's key): 1 to 255 bytes, as the spec's grammars cap them, so it can be part of an item key.
 */
export const identifier = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_IDENTIFIER_BYTES, { message: `longer than ${MAX_IDENTIFIER_BYTES} bytes` });

/** Any JSON object, kept as sent (floats too): auth data, session data, account data, keys. */
export const anyObject = z.record(z.string(), z.unknown());

/** Any JSON object (event content, account data). Floats are refused: events are hashed as canonical JSON. */
export const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((value) => isCanonicalJsonValue(value), { message: 'numbers must be integers within ±(2^53-1)' });

export const stateEventInput = z.object({
  type: z.string(),
  state_key: z.string().default(''),
  content: jsonObject,
});

export const createRoomRequest = z.looseObject({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).optional(),
  invite_3pid: z.array(z.unknown()).optional(),
  room_version: z.string().optional(),
  creation_content: jsonObject.optional(),
  initial_state: z.array(stateEventInput).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: jsonObject.optional(),
});

const userIdentifier = z.looseObject({ type: z.string(), user: z.string().optional() });

export const loginRequest = z.looseObject({
  type: z.string(),
  identifier: userIdentifier.optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().optional(),
  refresh_token: z.boolean().optional(),
});

export const registerRequest = z.looseObject({
  auth: z.looseObject({ type: z.string().optional(), session: z.string().optional() }).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
});

export const membershipRequest = z.looseObject({ reason: z.string().optional() });
/** POST /join/{roomIdOrAlias}'s body is the join event's content: a per-room profile within the profile limits (Synapse's). */
export const joinRequest = z.looseObject({
  reason: z.string().optional(),
  displayname: z.string().max(MAX_DISPLAYNAME_LENGTH).nullable().optional(),
  avatar_url: z.string().max(MAX_AVATAR_URL_LENGTH).nullable().optional(),
});
export const targetMembershipRequest = z.looseObject({ user_id: z.string(), reason: z.string().optional() });

export const redactRequest = z.looseObject({ reason: z.string().optional() });

export const changePasswordRequest = z.looseObject({
  new_password: z.string(),
  logout_devices: z.boolean().default(true),
  auth: z.looseObject({}).optional(),
});

export const deviceUpdateRequest = z.looseObject({ display_name: z.string().optional() });

export const roomAliasRequest = z.looseObject({ room_id: z.string() });
export const roomVisibilityRequest = z.looseObject({ visibility: z.enum(['public', 'private']).optional() });
