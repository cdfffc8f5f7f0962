// Sending into a room: PUT send (messages), PUT state, PUT redact.
import { json } from '../../lib/http/operation.ts';
import { stateAddress } from '../../lib/matrix/path-parameters.ts';
import { redactEvent, sendMessage, setRoomState } from '../../lib/matrix/rooms/operations.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

export const handler = matrixFunction('roomEvents', {
  sendMessage: operation({ auth: 'user', params: ['roomId', 'eventType', 'txnId'] }, async ({ requester, params, body }) =>
    json(await sendMessage(requester, body, params.roomId, params.eventType, params.txnId)),
  ),
  setRoomStateWithKey: operation({ auth: 'user', params: ['roomId'] }, async ({ requester, params, body, request }) => {
    const { eventType, stateKey } = stateAddress(request.pathParameters);
    return json(await setRoomState(requester, body, params.roomId, eventType, stateKey));
  }),
  redactEvent: operation({ auth: 'user', params: ['roomId', 'eventId', 'txnId'] }, async ({ requester, params, body }) =>
    json(await redactEvent(requester, body, params.roomId, params.eventId, params.txnId)),
  ),
});
