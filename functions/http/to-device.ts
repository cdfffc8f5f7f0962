// PUT /sendToDevice/{eventType}/{txnId}: to-device messages into the recipients' inboxes
// (lib/matrix/keys/send-to-device.ts), once per transaction id.
import { z } from 'zod';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { sendToDevice } from '../../lib/matrix/keys/send-to-device.ts';
import { axon } from '../../lib/matrix/module.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';

const sendBody = z.object({ messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))) });

export const handler = httpFunction(axon, 'toDevice', {
  sendToDevice: async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const { eventType, txnId } = request.pathParameters as { eventType: string; txnId: string };
    const body = parseRequestBody(sendBody, request.body);
    await sendToDevice({ sender: userId, senderDevice: deviceId, type: eventType, txnId, messages: body.messages });
    return json({});
  },
});
