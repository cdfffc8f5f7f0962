// Posting to WebSocket connections through the `@connections` management API. A connection the
// gateway no longer knows answers 410 (GoneException): callers drop their record of it.
import { GoneException, PostToConnectionCommand, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { managementClient } from './aws-clients.ts';

export type PostOutcome = 'sent' | 'gone';

/** Send one text frame; 'gone' when the connection no longer exists. Other failures throw. */
export async function postToConnection(connectionId: string, data: string): Promise<PostOutcome> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, 'utf8') }));
    return 'sent';
  } catch (err) {
    if (err instanceof GoneException || (err as { name?: string }).name === 'GoneException') return 'gone';
    throw err;
  }
}

/** Close a connection from the server side (the gateway then runs `$disconnect`); gone is fine. */
export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await managementClient().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (err) {
    if (err instanceof GoneException || (err as { name?: string }).name === 'GoneException') return;
    throw err;
  }
}
