// Where a function finds its resources. The CDK stack sets these variables on every function;
// the local runtime sets them in its own process before it loads any handler.

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** The one DynamoDB table that holds every PState. */
export function tableName(): string {
  return required('AXON_TABLE');
}

/** The Kinesis stream of a depot: `<prefix>-<depot>`. */
export function depotStreamName(depot: string): string {
  return `${required('AXON_STREAM_PREFIX')}-${depot}`;
}

/** The `@connections` management endpoint of the WebSocket API, if this function pushes. */
export function webSocketManagementEndpoint(): string | undefined {
  return process.env.AXON_WS_MANAGEMENT_ENDPOINT || undefined;
}
