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

/**
 * The credentials a local runtime's `@connections` endpoint accepts (a key per run); on AWS the
 * function's role signs instead and these are unset.
 */
export function localManagementCredentials(): { accessKeyId: string; secretAccessKey: string } | undefined {
  const accessKeyId = process.env.AXON_WS_MANAGEMENT_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AXON_WS_MANAGEMENT_SECRET_ACCESS_KEY;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

/**
 * The services this deployment runs whose instances functions notify (comma-separated names in
 * AXON_NOTIFY_SERVICES): the stack sets it when a service is enabled, the local runtime when it runs one.
 */
export function notifiedServices(): ReadonlySet<string> {
  return new Set((process.env.AXON_NOTIFY_SERVICES ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

/**
 * The partition counts of the partitioned depots (`AXON_DEPOT_PARTITIONS`, JSON `{depot: count}`),
 * which every appender must agree on: the stack sets it on every function from the module
 * declaration, the local runtime in its process.
 */
export function depotPartitions(depot: string): number | undefined {
  const raw = process.env.AXON_DEPOT_PARTITIONS;
  if (!raw) return undefined;
  const count = (JSON.parse(raw) as Record<string, unknown>)[depot];
  return typeof count === 'number' ? count : undefined;
}

/** The value of `AXON_DEPOT_PARTITIONS` for these depots. */
export function depotPartitionsVariable(depots: readonly { name: string; partitions?: number }[]): string {
  return JSON.stringify(Object.fromEntries(depots.filter((d) => d.partitions !== undefined).map((d) => [d.name, d.partitions])));
}
