// OpenID tokens (Client-Server "OpenID"): a short-lived token a user hands to a third party (an
// integration manager, a widget), which the third party exchanges for the user's id through the
// federation API's /openid/userinfo. Like access tokens, only the token's hash is stored, written
// through the users depot (the submissions topology); unlike them it dies by itself after an hour.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { submit } from '../commands.ts';
import { forbidden } from '../errors.ts';
import { serverName } from '../ids.ts';
import { hashAccessToken } from '../passwords.ts';
import { limitWrites } from '../rate-limits.ts';
import { openIdTokens } from '../submissions/pstates.ts';
import type { SubmissionCommandOf } from '../submissions/commands.ts';

/** Synapse's lifetime for these tokens. */
export const OPENID_TOKEN_LIFETIME_SECONDS = 3600;

export interface OpenIdCredentials {
  access_token: string;
  token_type: 'Bearer';
  matrix_server_name: string;
  expires_in: number;
}

/** The spec's body is an empty object, reserved for future expansion: any object will do. */
export const openIdTokenRequest = z.looseObject({});

/**
 * A new OpenID token for `userId`, who must be the requester (403 M_FORBIDDEN otherwise, as
 * Synapse); a write against the requester's budget.
 */
export async function requestOpenIdToken(requesterId: string, userId: string, now = Date.now()): Promise<OpenIdCredentials> {
  if (userId === requesterId) await limitWrites(userId);
  if (userId !== requesterId) throw forbidden('Cannot request tokens for other users.');
  const token = randomBytes(32).toString('base64url');
  const command: SubmissionCommandOf<'submit.openIdToken'> = {
    kind: 'submit.openIdToken',
    userId,
    ts: now,
    tokenHash: hashAccessToken(token),
    expiresTs: now + OPENID_TOKEN_LIFETIME_SECONDS * 1000,
  };
  await submit('users', userId, command);
  return { access_token: token, token_type: 'Bearer', matrix_server_name: serverName(), expires_in: OPENID_TOKEN_LIFETIME_SECONDS };
}

/** Whose a live OpenID token is (what /openid/userinfo answers), undefined when unknown or expired. */
export async function openIdTokenOwner(token: string, now = Date.now()): Promise<string | undefined> {
  const entry = await openIdTokens.key(hashAccessToken(token)).get({ consistent: true });
  if (!entry?.userId || entry.expiresTs === undefined || entry.expiresTs <= now) return undefined;
  return entry.userId;
}
