// API Gateway's $default route: every request no declared route matches. A path that exists with
// another method is 405, anything else 404, both M_UNRECOGNIZED as the spec says.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction, defaultRoute } from '../../lib/http/http-function.ts';
import { methodsForPath } from '../../lib/http/route-matching.ts';
import { unrecognized } from '../../lib/matrix/errors.ts';

export const handler = httpFunction(axon, 'unrecognized', {
  [defaultRoute]: (request) => {
    // Some spec paths end with a slash (`/pushrules/`, `/state/{eventType}/` for an empty state key),
    // which API Gateway routes cannot declare: send such a request on to the path without it (308
    // keeps the method and body; clients such as matrix-js-sdk call these paths with the slash).
    if (request.rawPath.length > 1 && request.rawPath.endsWith('/')) {
      const target = request.rawPath.slice(0, -1);
      if (methodsForPath(axon.http.routes, target).includes(request.method)) {
        const query = request.query.toString();
        return { status: 308, headers: { location: query ? `${target}?${query}` : target } };
      }
    }
    const allowed = methodsForPath(axon.http.routes, request.rawPath);
    throw allowed.length > 0 ? unrecognized(405, 'Method not allowed') : unrecognized(404);
  },
});
