// Sending into a room: PUT send (messages), PUT state, PUT redact.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { stateAddress } from '../../lib/matrix/path-parameters.ts';
import { redactEvent, sendMessage, setRoomState } from '../../lib/matrix/rooms/operations.ts';

export const handler = httpFunction(axon, 'roomEvents', {
  sendMessage: async (request) => {
    const { roomId, eventType, txnId } = request.pathParameters;
    return json(await sendMessage(request, roomId!, eventType!, txnId!));
  },
  setRoomStateWithKey: async (request) => {
    const { eventType, stateKey } = stateAddress(request.pathParameters);
    return json(await setRoomState(request, request.pathParameters.roomId!, eventType, stateKey));
  },
  redactEvent: async (request) => {
    const { roomId, eventId, txnId } = request.pathParameters;
    return json(await redactEvent(request, roomId!, eventId!, txnId!));
  },
});
