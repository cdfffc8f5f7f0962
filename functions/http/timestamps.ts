// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event (lib/matrix/timeline/by-timestamp.ts).
import { json, type Operation } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { invalidParam, missingParam } from '../../lib/matrix/errors.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { eventByTimestamp } from '../../lib/matrix/timeline/by-timestamp.ts';

function parseQuery(query: URLSearchParams): { ts: number; dir: 'f' | 'b' } {
  const ts = query.get('ts');
  const dir = query.get('dir');
  if (ts === null) throw missingParam('Missing integer query parameter "ts"');
  if (!/^-?\d+$/.test(ts) || !Number.isSafeInteger(Number(ts))) throw invalidParam('Query parameter "ts" must be an integer');
  if (dir === null) throw missingParam('Missing string query parameter "dir"');
  if (dir !== 'f' && dir !== 'b') throw invalidParam('Query parameter "dir" must be one of ["f", "b"]');
  return { ts: Number(ts), dir };
}

export const timestampOperations = {
  getEventByTimestamp: async (request) => {
    const { userId } = await authenticate(request);
    const { ts, dir } = parseQuery(request.query);
    const view = await viewRoom(request.pathParameters.roomId!, userId);
    return json(await eventByTimestamp(view, ts, dir));
  },
} satisfies Record<string, Operation>;
