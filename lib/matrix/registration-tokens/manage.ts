// Managing registration tokens (Synapse's admin API, registration_tokens.md): the checks Synapse
// makes, in its words and errcodes, then a command on the users depot for the users topology.
import { randomBytes } from 'node:crypto';
import { submit } from '../commands.ts';
import { badJson, invalidParam, notFound } from '../errors.ts';
import { MAX_TOKEN_LENGTH, TOKEN_PATTERN, tokenPartitionKey, type RegistrationTokenCommand } from './commands.ts';
import { tokenObject, tokenPath, type RegistrationTokenObject } from './tokens.ts';

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';
const DEFAULT_LENGTH = 16;

/** A random token of `length` characters of the allowed alphabet, each equally likely (rejection sampling). */
export function generateToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 66 characters: accept bytes below 198 (3 × 66) so each character is equally likely.
      if (byte < 198 && out.length < length) out += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function requireObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw badJson('Content must be a JSON object.');
  return body;
}

function usesAllowedOf(value: unknown): number | null {
  if (value === null || (isInt(value) && value >= 0)) return value;
  throw invalidParam('uses_allowed must be a non-negative integer or null');
}

function expiryTimeOf(value: unknown, now: number): number | null {
  if (value !== null && !isInt(value)) throw invalidParam('expiry_time must be an integer or null');
  if (value !== null && value < now) throw invalidParam('expiry_time must not be in the past');
  return value;
}

/** A token named in a path: one that cannot exist is simply not found. */
function knownShape(token: string): string {
  if (!TOKEN_PATTERN.test(token)) throw notFound(`No such registration token: ${token}`);
  return token;
}

const send = (command: RegistrationTokenCommand) => submit<RegistrationTokenObject>('users', tokenPartitionKey(command.token), command);

/** POST /v1/registration_tokens/new. */
export async function createToken(body: unknown, now = Date.now()): Promise<RegistrationTokenObject> {
  const b = requireObject(body);
  let token: string;
  if (b.token !== undefined) {
    if (typeof b.token !== 'string') throw invalidParam('token must be a string');
    if (b.token.length === 0 || b.token.length > MAX_TOKEN_LENGTH) throw invalidParam('token must not be empty and must not be longer than 64 characters');
    if (!TOKEN_PATTERN.test(b.token)) throw invalidParam('token must consist only of characters matched by the regex [A-Za-z0-9._~-]');
    token = b.token;
  } else {
    const length = b.length ?? DEFAULT_LENGTH;
    if (!isInt(length)) throw invalidParam('length must be an integer');
    if (length <= 0 || length > MAX_TOKEN_LENGTH) throw invalidParam('length must be greater than zero and not greater than 64');
    token = generateToken(length);
  }
  const usesAllowed = usesAllowedOf(b.uses_allowed ?? null);
  const expiryTime = expiryTimeOf(b.expiry_time ?? null, now);
  return send({ kind: 'registrationToken.create', token, ts: now, usesAllowed, expiryTime });
}

/** PUT /v1/registration_tokens/{token}: absent fields unchanged, null unlimited / never. */
export async function updateToken(token: string, body: unknown, now = Date.now()): Promise<RegistrationTokenObject> {
  const b = requireObject(body);
  knownShape(token);
  const usesAllowed = 'uses_allowed' in b ? usesAllowedOf(b.uses_allowed) : undefined;
  const expiryTime = 'expiry_time' in b ? expiryTimeOf(b.expiry_time, now) : undefined;
  return send({
    kind: 'registrationToken.update',
    token,
    ts: now,
    ...(usesAllowed !== undefined ? { usesAllowed } : {}),
    ...(expiryTime !== undefined ? { expiryTime } : {}),
  });
}

/** DELETE /v1/registration_tokens/{token}. */
export async function deleteToken(token: string, now = Date.now()): Promise<Record<string, never>> {
  await send({ kind: 'registrationToken.delete', token: knownShape(token), ts: now });
  return {};
}

/** GET /v1/registration_tokens/{token}. */
export async function getToken(token: string): Promise<RegistrationTokenObject> {
  const stored = await tokenPath(knownShape(token)).get();
  if (!stored) throw notFound(`No such registration token: ${token}`);
  return tokenObject(token, stored);
}
