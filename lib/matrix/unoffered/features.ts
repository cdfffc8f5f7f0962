// Features Axon does not offer, answered as Synapse answers when they are not configured, so a
// client sees the same thing from either server:
// - URL previews (Synapse's `url_preview_enabled: false`): the routes do not exist, 404 M_UNRECOGNIZED;
// - refresh tokens: none is ever issued (logins ignore `refresh_token: true`), so every one is
//   unknown: 401 M_UNKNOWN_TOKEN after Synapse's parameter checks.
import { z } from 'zod';
import { MatrixError, invalidParam, missingParam, unrecognized } from '../errors.ts';
import { parseRequestBody } from '../request-schemas.ts';

export const urlPreviewsDisabled = () => unrecognized(404, 'URL previews are disabled on this server');

export function refreshToken(body: unknown): never {
  const request = parseRequestBody(z.looseObject({ refresh_token: z.unknown() }), body) as { refresh_token?: unknown };
  if (request.refresh_token === undefined) throw missingParam('Missing params: refresh_token');
  if (typeof request.refresh_token !== 'string') throw invalidParam('Invalid param: refresh_token');
  throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'refresh token does not exist', { soft_logout: false });
}
