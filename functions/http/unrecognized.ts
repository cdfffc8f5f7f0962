// API Gateway's $default route: every request no declared route matches. A path that exists with
// another method is 405, anything else 404, both M_UNRECOGNIZED as the spec says.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction, defaultRoute } from '../../lib/http/http-function.ts';
import { methodsForPath } from '../../lib/local/route-matching.ts';
import { unrecognized } from '../../lib/matrix/errors.ts';

export const handler = httpFunction(axon, 'unrecognized', {
  [defaultRoute]: (request) => {
    const allowed = methodsForPath(axon.http.routes, request.rawPath);
    throw allowed.length > 0 ? unrecognized(405, 'Method not allowed') : unrecognized(404);
  },
});
