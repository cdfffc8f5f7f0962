// WebSocket `$connect`: authenticates `?access_token=` and registers the connection (with the
// optional `since` and `filter`, a sync filter id or inline JSON, applied to every frame); any status
// other than 2xx makes the gateway refuse the handshake. An instance of a service (the sync
// service) subscribes to notices instead, with `?service_subscription=` (lib/core/service/notices.ts).
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { claimSubscription, SUBSCRIPTION_PARAMETER } from '../../lib/core/service/notices.ts';
import { logger } from '../../lib/http/http-function.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { openConnection } from '../../lib/matrix/push/session.ts';

/** CONNECT events also carry the handshake's query string (not in @types/aws-lambda's type). */
type ConnectEvent = APIGatewayProxyWebsocketEventV2 & { queryStringParameters?: Record<string, string | undefined> };

export async function handler(event: ConnectEvent): Promise<APIGatewayProxyResultV2> {
  const query = event.queryStringParameters ?? {};
  const subscription = query[SUBSCRIPTION_PARAMETER];
  if (subscription !== undefined) {
    return { statusCode: (await claimSubscription(subscription, event.requestContext.connectionId)) ? 200 : 401 };
  }
  try {
    await openConnection({
      connectionId: event.requestContext.connectionId,
      ...(query.access_token !== undefined ? { accessToken: query.access_token } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.filter !== undefined ? { filter: query.filter } : {}),
    });
    return { statusCode: 200 };
  } catch (err) {
    if (err instanceof MatrixError) return { statusCode: err.status, body: JSON.stringify(err.toJSON()) };
    logger.error('$connect failed', { error: err as Error });
    return { statusCode: 500 };
  }
}
