// PUT /sendToDevice/{eventType}/{txnId}: one command per recipient user through the users depot
// (partition = recipient), which files the messages in the devices' inboxes once per transaction id.
import { z } from 'zod';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import type { KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { axon } from '../../lib/matrix/module.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';

const sendBody = z.object({ messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))) });

export const handler = httpFunction(axon, 'toDevice', {
  sendToDevice: async (request) => {
    const { userId, deviceId } = await authenticate(request);
    const { eventType, txnId } = request.pathParameters as { eventType: string; txnId: string };
    const body = parseRequestBody(sendBody, request.body);
    await Promise.all(
      Object.entries(body.messages).map((recipient) => {
        const [to, messages] = recipient;
        const command: KeysCommand = { kind: 'keys.toDevice', userId: to, sender: userId, senderDevice: deviceId, txnId, type: eventType, messages };
        return submit('users', to, command);
      }),
    );
    return json({});
  },
});
