// The fields depot commands are made of, as zod schemas that say which Matrix error refuses them.
// One validator per command kind (the depots' `*/commands.ts`) is built from these and used twice:
// by `submit` at the edge, before anything is appended (a 400/413 with the errcode named here),
// and by the topology as its payload parser. So whatever reaches a depot is something its topology
// can store: no lone surrogates anywhere, ids and keys within what DynamoDB keys hold, JSON values
// within what one item holds.
import { z } from 'zod';
import { unstorableJson } from '../core/json-text.ts';
import { Rejection } from '../core/topology/stream.ts';
import { isCanonicalJsonValue, type JsonObject } from './canonical-json.ts';
import { MatrixError, type MatrixErrcode } from './errors.ts';
import { MAX_EVENT_BYTES, MAX_EVENT_FIELD_BYTES } from './events.ts';

/** A refinement whose failure is answered with `errcode`. */
const refusedWith = (errcode: MatrixErrcode, message: string) => ({ message, params: { errcode } });

const UTF8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A string of at most `maxBytes` UTF-8 bytes (`errcode` past it), optionally non-empty. */
export function text(maxBytes: number, options: { errcode?: MatrixErrcode; nonEmpty?: boolean } = {}) {
  const errcode = options.errcode ?? 'M_INVALID_PARAM';
  const base = options.nonEmpty ? z.string().min(1) : z.string();
  return base.refine((s) => UTF8(s) <= maxBytes, refusedWith(errcode, `longer than ${maxBytes} bytes`));
}

/** A string of at most `maxChars` characters (limits Synapse counts in characters). */
export function chars(maxChars: number, errcode: MatrixErrcode = 'M_INVALID_PARAM') {
  return z.string().refine((s) => s.length <= maxChars, refusedWith(errcode, `longer than ${maxChars} characters`));
}

/** The spec's limit on ids (user, room, event, alias) and on event types and state keys. */
export const MAX_ID_BYTES = MAX_EVENT_FIELD_BYTES;

/** A Matrix id or other key-forming identifier: 1 to 255 bytes. */
export const id = text(MAX_ID_BYTES, { nonEmpty: true });

/** Free text nothing else bounds (reasons, status messages): no longer than an event may be. */
export const MAX_FREE_TEXT_BYTES = 65_536;
export const freeText = text(MAX_FREE_TEXT_BYTES, { errcode: 'M_TOO_LARGE' });

/** The size of a value's JSON text. */
const jsonBytes = (value: unknown) => UTF8(JSON.stringify(value) ?? '');

/** A JSON object of at most `maxBytes` of JSON text (413 M_TOO_LARGE past it), stored whole. */
export function jsonObjectWithin(maxBytes: number) {
  return z
    .record(z.string(), z.unknown())
    .refine((v) => jsonBytes(v) <= maxBytes, refusedWith('M_TOO_LARGE', `larger than ${maxBytes} bytes`));
}

/** Any JSON value (or none) of at most `maxBytes` of JSON text (one-time keys may be strings). */
export function jsonWithin(maxBytes: number) {
  return z.unknown().refine((v) => v === undefined || jsonBytes(v) <= maxBytes, refusedWith('M_TOO_LARGE', `larger than ${maxBytes} bytes`));
}

/** The spec's event size (65536 bytes of canonical JSON): no content can be larger. */
export const MAX_CONTENT_BYTES = MAX_EVENT_BYTES;

/** Event content: canonical JSON (integers only), at most an event's size. */
export const eventContent = z
  .custom<JsonObject>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'content must be a JSON object' })
  .refine((v) => isCanonicalJsonValue(v), refusedWith('M_BAD_JSON', 'numbers must be integers within ±(2^53-1)'))
  .refine((v) => jsonBytes(v) <= MAX_CONTENT_BYTES, refusedWith('M_TOO_LARGE', `larger than ${MAX_CONTENT_BYTES} bytes`));

/** The Matrix error for a command a validator refuses: the first problem, with the errcode it names. */
function refusal(error: z.ZodError): MatrixError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const named = issue.code === 'custom' ? (issue.params as { errcode?: MatrixErrcode } | undefined)?.errcode : undefined;
  const errcode = named ?? 'M_BAD_JSON';
  return new MatrixError(errcode === 'M_TOO_LARGE' ? 413 : 400, errcode, path ? `Invalid ${path}: ${issue.message}` : issue.message);
}

/**
 * Validate a command with its kind's schema: the parsed command, or a MatrixError (400 M_BAD_JSON
 * for a lone surrogate or a non-finite number anywhere, or a wrong shape; the errcode a field
 * names for its limits).
 */
export function validateCommand<S extends z.ZodType>(schema: S, command: unknown): z.output<S> {
  const problem = unstorableJson(command);
  if (problem) throw new MatrixError(400, 'M_BAD_JSON', `Invalid ${problem.path}: ${problem.reason}`);
  const parsed = schema.safeParse(command);
  if (!parsed.success) throw refusal(parsed.error);
  return parsed.data;
}

/**
 * A topology's payload parser running the same validation as the edge: a refused record is a
 * rejection (never retried) whose appender gets the same Matrix error the edge would have given.
 */
export function commandParser<S extends z.ZodType>(schema: S): { parse(payload: unknown): z.output<S> } {
  return {
    parse(payload) {
      try {
        return validateCommand(schema, payload);
      } catch (e) {
        if (e instanceof MatrixError) throw new Rejection(e.errcode, e.message, e.status);
        throw e;
      }
    },
  };
}
