// Sending into a room: PUT send (messages), PUT state, PUT redact.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { redactEvent, sendMessage, setRoomState } from '../../lib/matrix/rooms/operations.ts';

export const handler = httpFunction(axon, 'roomEvents', {
  sendMessage: async (request) => {
    const { roomId, eventType, txnId } = request.pathParameters;
    return json(await sendMessage(request, roomId!, eventType!, txnId!));
  },
  setRoomStateWithKey: async (request) => {
    const { roomId, statePath } = request.pathParameters;
    let { eventType, stateKey } = request.pathParameters;
    if (statePath !== undefined) {
      // `{eventType}`, `{eventType}/` or `{eventType}/{state key with slashes}`
      const slash = statePath.indexOf('/');
      eventType = slash < 0 ? statePath : statePath.slice(0, slash);
      stateKey = slash < 0 ? '' : statePath.slice(slash + 1);
    }
    return json(await setRoomState(request, roomId!, eventType!, stateKey ?? ''));
  },
  redactEvent: async (request) => {
    const { roomId, eventId, txnId } = request.pathParameters;
    return json(await redactEvent(request, roomId!, eventId!, txnId!));
  },
});
