// API Gateway's $default route: every request no declared route matches. A path that exists with
// another method is 405, anything else 404, both M_UNRECOGNIZED as the spec says.
import { axon } from '../../lib/matrix/module.ts';
import { defaultRoute } from '../../lib/http/http-function.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { methodsForPath } from '../../lib/http/route-matching.ts';
import { unrecognized } from '../../lib/matrix/errors.ts';

/** The v3 path a legacy r0 path stands for (`/_matrix/client/r0/…`, `/_matrix/media/r0/…`), still encoded. */
const legacyR0 = /^\/_matrix\/(client|media)\/r0(\/.+)$/;

export const handler = matrixFunction('unrecognized', {
  [defaultRoute]: operation({ auth: 'none' }, ({ request }) => {
    // Legacy r0 paths, which Synapse still serves as aliases of v3 (older clients such as Debian's
    // matrix-nio, the synapse-admin UI's login and thumbnails): sent on to the v3 path with a 308
    // (method, body and Authorization kept) instead of declaring every route twice.
    const legacy = legacyR0.exec(request.rawPath);
    if (legacy) {
      const target = `/_matrix/${legacy[1]}/v3${legacy[2]}`;
      // (a trailing slash goes on with it: the v3 path's own redirect below drops it)
      const served = (path: string) => methodsForPath(axon.http.routes, path).includes(request.method);
      if (served(target) || (target.endsWith('/') && served(target.slice(0, -1)))) return redirectTo(encodedPath(request.path.replace(/^\/_matrix\/(client|media)\/r0\//, '/_matrix/$1/v3/')), request.query);
    }
    // Some spec paths end with a slash (`/pushrules/`, `/state/{eventType}/` for an empty state key),
    // which API Gateway routes cannot declare: send such a request on to the path without it (308
    // keeps the method and body; clients such as matrix-js-sdk call these paths with the slash).
    if (request.rawPath.length > 1 && request.rawPath.endsWith('/')) {
      const target = request.rawPath.slice(0, -1);
      if (methodsForPath(axon.http.routes, target).includes(request.method)) return redirectTo(target, request.query);
    }
    const allowed = methodsForPath(axon.http.routes, request.rawPath);
    throw allowed.length > 0 ? unrecognized(405, 'Method not allowed') : unrecognized(404);
  }),
});

/** 308 keeps the method and the body (clients call these paths with POST and PUT too). */
function redirectTo(target: string, query: URLSearchParams) {
  const search = query.toString();
  return { status: 308, headers: { location: search ? `${target}?${search}` : target } };
}

/** A decoded path encoded again segment by segment (a `#` or `?` in an alias or id must not end the path). */
function encodedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3A/g, ':').replace(/%40/g, '@').replace(/%24/g, '$').replace(/%21/g, '!'))
    .join('/');
}
