// PUT /sendToDevice/{eventType}/{txnId}: to-device messages into the recipients' inboxes
// (lib/matrix/keys/send-to-device.ts), once per transaction id.
import { json } from '../../lib/http/operation.ts';
import { sendToDevice, sendToDeviceRequest } from '../../lib/matrix/keys/send-to-device.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('toDevice', {
  sendToDevice: operation({ auth: 'user', params: ['eventType', 'txnId'], body: sendToDeviceRequest }, async ({ requester, params, body }) => {
    await sendToDevice({ sender: requester.userId, senderDevice: requester.deviceId, type: params.eventType, txnId: params.txnId, messages: body.messages });
    return json({});
  }),
});
