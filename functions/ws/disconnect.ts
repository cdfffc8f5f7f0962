// WebSocket `$disconnect`: the connection is closed (by either side); forget it.
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { closeConnectionRecords } from '../../lib/matrix/push/session.ts';

export async function handler(event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> {
  await closeConnectionRecords(event.requestContext.connectionId);
  return { statusCode: 200 };
}
