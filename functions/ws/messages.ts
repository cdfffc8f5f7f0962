// WebSocket client messages (`ping`, anything else via `$default`): answered through @connections.
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { handleClientMessage } from '../../lib/matrix/push/client-messages.ts';

export async function handler(event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> {
  const context = event.requestContext as APIGatewayProxyWebsocketEventV2['requestContext'] & { connectedAt?: number };
  await handleClientMessage({
    connectionId: context.connectionId,
    connectedAt: context.connectedAt ?? 0,
    route: context.routeKey,
    body: event.body,
  });
  return { statusCode: 200 };
}
