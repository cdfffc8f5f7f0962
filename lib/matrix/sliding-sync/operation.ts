// POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync: simplified sliding sync
// (MSC4186). The connection a `pos` names is loaded first (400 M_UNKNOWN_POS when it is not
// known), then passes run until one has news or the long-poll ends, through the same waiting as
// /sync (lib/matrix/sync/long-poll.ts); the connection's new state is saved before the answer, so
// the position answered always names a state the server has. A request without `pos` starts a
// connection and answers at once (the MSC: `timeout` is ignored then).
import { json } from '../../http/operation.ts';
import { operation } from '../routes/operation.ts';
import { refreshPresence } from '../ephemeral/submit.ts';
import { keyCountsForSync } from '../keys/sync.ts';
import { pollingWakeSource, waitForNews } from '../sync/long-poll.ts';
import { encodePos, loadConnection, saveConnection } from './connection.ts';
import { slidingSyncOnce } from './pass.ts';
import { parseSlidingSyncRequest } from './request.ts';

export const slidingSyncOperation = operation({ auth: 'user' }, async ({ requester: { userId, deviceId }, request }) => {
  const parsed = parseSlidingSyncRequest(request.query, request.body);
  const key = { userId, deviceId, connId: parsed.connId };
  const connection = await loadConnection(key, parsed.pos);
  await refreshPresence(userId, deviceId, parsed.setPresence ?? 'online');
  const run = () => slidingSyncOnce({ userId, deviceId, request: parsed, connection });
  const pass = parsed.pos
    ? await waitForNews(userId, parsed.timeoutMs, () => request.remainingTimeMs(), pollingWakeSource(userId), run)
    : await run();
  // The device's key counts as they are when answering (never news on their own, as in /sync).
  if (pass.body.extensions.e2ee) Object.assign(pass.body.extensions.e2ee, await keyCountsForSync(userId, deviceId));
  const posId = await saveConnection(key, connection, pass.state);
  return json({ pos: encodePos(posId, pass.next), ...pass.body });
});
