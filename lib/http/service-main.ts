// Running a service as its own process (a Fargate task, or a bench's separate process): the host
// on every interface, configured from the environment the stack (or the caller) sets, stopped
// cleanly on SIGTERM (ECS's stop signal: waiting requests are answered, clients poll elsewhere).
//
//   AXON_SERVICE_PORT   port to listen on (default 8080)
//   AXON_WS_URL         the module's WebSocket API, where the instance subscribes to notices
//   AXON_METRICS_NAMESPACE  when set, open requests are logged there as a metric every minute (scaling)
import { startServiceHost, type ServiceDefinition } from './service-host.ts';
import { openRequestsLine } from '../core/service/metrics.ts';

const METRICS_INTERVAL_MS = 60_000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export async function runService(definition: ServiceDefinition): Promise<void> {
  const port = Number(process.env.AXON_SERVICE_PORT ?? 8080);
  const log = (line: string) => console.log(line);
  const host = await startServiceHost({ definition, port, host: process.env.AXON_SERVICE_HOST ?? '0.0.0.0', webSocketUrl: required('AXON_WS_URL'), log });
  log(`service ${definition.name} listening on ${host.port}`);
  const namespace = process.env.AXON_METRICS_NAMESPACE;
  const metrics = namespace ? setInterval(() => log(openRequestsLine(namespace, definition.name, host.openRequests())), METRICS_INTERVAL_MS) : undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(metrics);
    log(`service ${definition.name}: ${signal}, answering waiting requests and stopping`);
    await host.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
