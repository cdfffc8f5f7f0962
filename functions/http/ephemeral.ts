// Typing, presence, receipts and read markers: checked here, aggregated by the ephemeral
// microbatch topology (functions/batch/ephemeral.ts).
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { limitWrites } from '../../lib/matrix/rate-limits.ts';
import { forbidden, invalidParam } from '../../lib/matrix/errors.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { readPresence } from '../../lib/matrix/ephemeral/read.ts';
import { presenceRequest, presenceState, isReceiptType, readMarkersRequest, receiptRequest, typingRequest } from '../../lib/matrix/ephemeral/requests.ts';
import {
  checkReadMarkers,
  submitCheckedReceipt,
  submitFullyRead,
  submitPresence,
  submitTyping,
} from '../../lib/matrix/ephemeral/submit.ts';

async function authenticateAs(request: { accessToken?: string }, userId: string, what: string) {
  const requester = await authenticate(request);
  if (requester.userId !== userId) throw forbidden(`Cannot set ${what} of other users.`);
  return requester;
}

export const handler = matrixFunction('ephemeral', {
  setTyping: async (request) => {
    const { roomId, userId } = request.pathParameters as { roomId: string; userId: string };
    const requester = await authenticateAs(request, userId, 'typing');
    await limitWrites(userId);
    const body = parseRequestBody(typingRequest, request.body);
    await submitTyping(userId, roomId, body.typing, body.timeout, requester.shadowBanned === true);
    return json({});
  },

  setPresence: async (request) => {
    const { userId } = request.pathParameters as { userId: string };
    const requester = await authenticateAs(request, userId, 'presence');
    const body = parseRequestBody(presenceRequest, request.body);
    await submitPresence(userId, presenceState(body.presence), { statusMsg: body.status_msg ?? null, waitForCommit: true, deviceId: requester.deviceId });
    return json({});
  },

  getPresence: async (request) => {
    const { userId } = request.pathParameters as { userId: string };
    const requester = await authenticate(request);
    return json(await readPresence(requester.userId, userId));
  },

  postReceipt: async (request) => {
    const { roomId, receiptType, eventId } = request.pathParameters as { roomId: string; receiptType: string; eventId: string };
    const { userId } = await authenticate(request);
    await limitWrites(userId);
    const body = parseRequestBody(receiptRequest, request.body);
    if (body.thread_id !== undefined && body.thread_id === '') throw invalidParam('thread_id must not be empty');
    if (receiptType === 'm.fully_read') {
      if (body.thread_id !== undefined) throw invalidParam('thread_id is not allowed for m.fully_read');
      await checkReadMarkers(userId, roomId, [eventId]);
      await submitFullyRead(userId, roomId, eventId);
      return json({});
    }
    if (!isReceiptType(receiptType)) throw invalidParam(`Unknown receipt type: ${receiptType}`);
    const [position] = await checkReadMarkers(userId, roomId, [eventId]);
    await submitCheckedReceipt(userId, roomId, receiptType, eventId, position!, body.thread_id ?? '');
    return json({});
  },

  setReadMarker: async (request) => {
    const { roomId } = request.pathParameters as { roomId: string };
    const { userId } = await authenticate(request);
    await limitWrites(userId);
    const body = parseRequestBody(readMarkersRequest, request.body);
    const fullyRead = body['m.fully_read'];
    const receipts = (['m.read', 'm.read.private'] as const).flatMap((type) => (body[type] !== undefined ? [{ type, eventId: body[type] }] : []));
    const eventIds = [...(fullyRead !== undefined ? [fullyRead] : []), ...receipts.map((r) => r.eventId)];
    // Everything is checked before anything is written: a bad event id writes nothing.
    const positions = await checkReadMarkers(userId, roomId, eventIds);
    const receiptPositions = fullyRead !== undefined ? positions.slice(1) : positions;
    await Promise.all([
      ...(fullyRead !== undefined ? [submitFullyRead(userId, roomId, fullyRead)] : []),
      ...receipts.map((r, i) => submitCheckedReceipt(userId, roomId, r.type, r.eventId, receiptPositions[i]!)),
    ]);
    return json({});
  },
});
