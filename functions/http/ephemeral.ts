// Typing, presence, receipts and read markers: checked here, aggregated by the ephemeral
// microbatch topology (functions/batch/ephemeral.ts).
import { json } from '../../lib/http/operation.ts';
import { readPresence } from '../../lib/matrix/ephemeral/read.ts';
import {
  postReceipt,
  presenceRequest,
  presenceState,
  readMarkersRequest,
  receiptRequest,
  requireSelf,
  setReadMarkers,
  typingRequest,
} from '../../lib/matrix/ephemeral/requests.ts';
import { submitPresence, submitTyping } from '../../lib/matrix/ephemeral/submit.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('ephemeral', {
  setTyping: operation({ auth: 'user', rateLimit: 'writes', params: ['roomId', 'userId'], body: typingRequest }, async ({ requester, params: { roomId, userId }, body }) => {
    requireSelf(requester, userId, 'typing');
    await submitTyping(userId, roomId, body.typing, body.timeout, requester.shadowBanned === true);
    return json({});
  }),
  setPresence: operation({ auth: 'user', params: ['userId'], body: presenceRequest }, async ({ requester, params: { userId }, body }) => {
    requireSelf(requester, userId, 'presence');
    await submitPresence(userId, presenceState(body.presence), { statusMsg: body.status_msg ?? null, waitForCommit: true, deviceId: requester.deviceId });
    return json({});
  }),
  getPresence: operation({ auth: 'user', params: ['userId'] }, async ({ requester, params }) => json(await readPresence(requester.userId, params.userId))),
  postReceipt: operation(
    { auth: 'user', rateLimit: 'writes', params: ['roomId', 'receiptType', 'eventId'], body: receiptRequest },
    async ({ requester, params: { roomId, receiptType, eventId }, body }) => {
      await postReceipt(requester.userId, roomId, receiptType, eventId, body);
      return json({});
    },
  ),
  setReadMarker: operation({ auth: 'user', rateLimit: 'writes', params: ['roomId'], body: readMarkersRequest }, async ({ requester, params, body }) => {
    await setReadMarkers(requester.userId, params.roomId, body);
    return json({});
  }),
});
